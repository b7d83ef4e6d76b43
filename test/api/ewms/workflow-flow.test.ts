import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { EwmsClient, oneTaskWorkflow } from './ewms-client.js';

describe.each(['sqlite', 'postgres'] as const)('an event workflow on %s', (kind) => {
  let t: TestServer;
  let ewms: EwmsClient;

  beforeAll(async () => {
    t = await startTestServer(kind, { ewms: { tickMs: 200 } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
  });
  afterAll(async () => t?.destroy());

  it('runs events through a pilot: events in, results out', async () => {
    const created = await ewms.ok('POST', '/v1/workflows', oneTaskWorkflow('tr a-z A-Z < {{INFILE}} > {{OUTFILE}}'));
    const workflowId = created.workflow.workflow_id as string;
    const input = created.task_directives[0].input_queues[0] as string;
    const output = created.task_directives[0].output_queues[0] as string;
    const profiles = await eventually(async () => {
      const answer = await ewms.ok('GET', `/v1/mqs/workflows/${workflowId}/mq-profiles/public`);
      return answer.mqprofiles.length === 2 && answer.mqprofiles.every((p: any) => p.is_activated) ? answer.mqprofiles : undefined;
    }, 15_000, 'activated queues');
    expect(profiles.map((p: any) => p.mqid).sort()).toEqual([input, output].sort());
    const events = Array.from({ length: 20 }, (_, i) => `event ${i}`);
    expect((await ewms.ok('POST', `/v1/mqs/queues/${input}/messages`, { messages: events })).published).toBe(20);
    const results: string[] = [];
    await eventually(async () => {
      const got = await ewms.ok('POST', `/v1/mqs/queues/${output}/actions/consume`, { max_messages: 100, wait: 1 });
      for (const message of got.messages) results.push(message.message);
      if (got.messages.length > 0) await ewms.ok('POST', `/v1/mqs/queues/${output}/actions/ack`, { ack_ids: got.messages.map((m: any) => m.ack_id) });
      return results.length >= 20 ? true : undefined;
    }, 30_000, 'all results');
    expect(results.sort()).toEqual(events.map((e) => e.toUpperCase()).sort());
    const taskforce = (await ewms.ok('POST', '/v1/query/taskforces', { query: { workflow_id: workflowId } })).taskforces[0];
    expect(taskforce.phase).toBe('condor-submit');
    expect(taskforce.phase_change_log.map((c: any) => c.target_phase)).toEqual(['pre-mq-activation', 'pre-launch', 'pending-starter', 'condor-submit']);
    const stopped = await ewms.ok('POST', `/v1/workflows/${workflowId}/actions/finished`);
    expect(stopped).toEqual({ workflow_id: workflowId, n_taskforces: 1 });
    const ended = await eventually(async () => {
      const doc = await ewms.ok('GET', `/v1/taskforces/${taskforce.taskforce_uuid}`);
      return doc.phase === 'condor-complete' ? doc : undefined;
    }, 20_000, 'condor-complete');
    expect(ended.phase_change_log.map((c: any) => c.target_phase)).toEqual(['pre-mq-activation', 'pre-launch', 'pending-starter', 'condor-submit', 'pending-stopper', 'condor-rm', 'condor-complete']);
  });
});
