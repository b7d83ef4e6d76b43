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
    // One core: the workflow is a ClusterCockpit job of this installation too, its pilot's node among its resources.
    const record = await eventually(async () => {
      const answer = await fetch(`${t.url}/api/jobs/?project=workflow&with-metadata=true`, { headers: { authorization: `Bearer ${ewms.token}` } });
      const { jobs } = (await answer.json()) as { jobs: Array<Record<string, any>> };
      return jobs.find((job) => job.metaData?.jobName === workflowId && job.jobState === 'completed');
    }, 15_000, 'the workflow as a ClusterCockpit job');
    expect(record).toMatchObject({ cluster: 'gantry', user: 'admin', project: 'workflow' });
    expect(record.resources.length).toBe(1);
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

describe('pilots: init, failing events, limits', () => {
  let t: TestServer;
  let ewms: EwmsClient;

  beforeAll(async () => {
    t = await startTestServer('sqlite', { ewms: { tickMs: 200, maxDeliveries: 2 } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
  });
  afterAll(async () => t?.destroy());

  it('runs init once per pilot, dead-letters an event that keeps failing, and counts its error in top_task_errors', async () => {
    const body = oneTaskWorkflow('grep -q bad {{INFILE}} && { echo "refusing a bad event" >&2; exit 3; }; cat {{INFILE}} > {{OUTFILE}}');
    const task = (body.tasks as any[])[0];
    task.init_args = 'echo init ran for $EWMS_TASKFORCE_UUID';
    task.worker_config = { ...task.worker_config, n_cores: 1, worker_memory: '256M', max_worker_runtime: 600, priority: 7 };
    const created = await ewms.ok('POST', '/v1/workflows', body);
    const taskforceUuid = created.taskforces[0].taskforce_uuid as string;
    const input = created.task_directives[0].input_queues[0] as string;
    const output = created.task_directives[0].output_queues[0] as string;
    await eventually(async () => ((await ewms.ok('GET', `/v1/mqs/queues/${input}`)).mqid ? true : undefined));
    await eventually(async () => ((await ewms.request('POST', `/v1/mqs/queues/${input}/messages`, { messages: ['good 1', 'bad 2', 'good 3'] })).status === 200 ? true : undefined), 15_000, 'an activated queue');

    const results: string[] = [];
    await eventually(async () => {
      const got = await ewms.ok('POST', `/v1/mqs/queues/${output}/actions/consume`, { max_messages: 10, wait: 1 });
      results.push(...got.messages.map((m: any) => m.message));
      if (got.messages.length > 0) await ewms.ok('POST', `/v1/mqs/queues/${output}/actions/ack`, { ack_ids: got.messages.map((m: any) => m.ack_id) });
      return results.length >= 2 ? true : undefined;
    }, 30_000, 'the good results');
    expect(results.sort()).toEqual(['good 1', 'good 3']);

    // Delivered twice (ewms.maxDeliveries), failed twice: in the dead-letter queue, with its delivery count.
    const dead = await eventually(async () => {
      const got = await ewms.ok('POST', `/v1/mqs/queues/${input}.dead/actions/consume`, { max_messages: 10, wait: 1 });
      return got.messages.length > 0 ? got.messages : undefined;
    }, 30_000, 'the dead letter');
    expect(dead.map((m: any) => m.message)).toEqual(['bad 2']);
    const taskforce = await eventually(async () => {
      const doc = await ewms.ok('GET', `/v1/taskforces/${taskforceUuid}`);
      return Object.keys(doc.top_task_errors).length > 0 ? doc : undefined;
    }, 15_000, 'the task error in the taskforce');
    expect(taskforce.top_task_errors).toEqual({ 'task failed (exit code 3): refusing a bad event': 2 });
    expect(taskforce.compound_statuses).toEqual({ RUNNING: { Tasking: 1 } });

    const pilot = (await t.server.core.store.db.selectFrom('tasks').selectAll().where('queue', '=', 'ewms@local').execute()).find((row) => String(row.definition).includes(taskforceUuid))!;
    const spec = JSON.parse(pilot.run_spec!);
    expect(spec.limits).toEqual({ cpus: 1, memoryBytes: 256 * 1024 * 1024 });
    expect(spec.steps.map((step: any) => step.role)).toEqual(['pre', 'main']);
    expect(spec.steps[1].timeoutMs).toBe(600_000);
    expect(pilot.priority).toBe(7);
    const logs = await t.server.core.store.db.selectFrom('task_logs').select('contents').where('task_id', '=', pilot.id).execute();
    expect(logs.map((part) => part.contents).join('').match(/init ran for/g)).toEqual(['init ran for']);
    expect(logs.map((part) => part.contents).join('')).toContain(`init ran for ${taskforceUuid}`);
  }, 90_000);
});
