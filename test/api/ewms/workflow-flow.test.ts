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

describe.each(['sqlite', 'postgres'] as const)('a workflow across a restart on %s', (kind) => {
  it('is found again, its pilots start again, and events published meanwhile are processed', async () => {
    const first = await startTestServer(kind, { ewms: { tickMs: 200 } });
    let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      let ewms = new EwmsClient(first.url, await first.server.core.identity.issueJwt('admin'));
      const created = await ewms.ok('POST', '/v1/workflows', oneTaskWorkflow());
      const workflowId = created.workflow.workflow_id as string;
      const input = created.task_directives[0].input_queues[0] as string;
      const output = created.task_directives[0].output_queues[0] as string;
      await eventually(async () => ((await ewms.ok('POST', '/v1/query/taskforces', { query: { workflow_id: workflowId, 'compound_statuses.RUNNING': { $exists: true } } })).taskforces.length === 1 ? true : undefined), 20_000, 'a running pilot');
      await first.close();

      // On the same address: running pilots were told where their server is.
      second = await startTestServer(kind, { ewms: { tickMs: 200 }, port: Number(new URL(first.url).port) }, { database: first.database });
      ewms = new EwmsClient(second.url, await second.server.core.identity.issueJwt('admin'));
      expect((await ewms.ok('GET', `/v1/workflows/${workflowId}`)).deactivated).toBeNull();
      await ewms.ok('POST', `/v1/mqs/queues/${input}/messages`, { messages: ['after restart'] });
      const result = await eventually(async () => {
        const got = await ewms.ok('POST', `/v1/mqs/queues/${output}/actions/consume`, { max_messages: 10, wait: 1 });
        return got.messages[0]?.message as string | undefined;
      }, 30_000, 'a result after the restart');
      expect(result).toBe('after restart');
      const taskforce = (await ewms.ok('POST', '/v1/query/taskforces', { query: { workflow_id: workflowId } })).taskforces[0];
      expect(taskforce.phase).toBe('condor-submit');
    } finally {
      await second?.close();
      await first.destroy();
    }
  }, 90_000);
});
