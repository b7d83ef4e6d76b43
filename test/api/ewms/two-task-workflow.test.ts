import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { EwmsClient, WORKER_CONFIG } from './ewms-client.js';

const EVENTS = 1_000;
/** Events a pilot holds at once: what a pilot that dies may have published without acking. */
const PREFETCH = 4;

/**
 * The whole flow, end to end, with a pilot killed midway: task A's output
 * queue is task B's input; every event must come out once, and any duplicate
 * must be one a killed pilot held.
 */
describe.each(STORES)('a two-task workflow on %s', (kind) => {
  let t: TestServer;
  let ewms: EwmsClient;

  beforeAll(async () => {
    t = await startTestServer(kind, { ewms: { tickMs: 200 }, worker: { maxTasks: 8 } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
  });
  afterAll(async () => t?.destroy());

  it('passes 1,000 events through A then B, loses none when a pilot is killed, and duplicates only what it held', async () => {
    const environment = { EWMS_PILOT_PREFETCH: String(PREFETCH) };
    const task = (args: string, input: string, output: string) => ({
      cluster_locations: ['local'],
      input_queue_aliases: [input],
      output_queue_aliases: [output],
      task_image: '/usr/bin',
      task_args: args,
      n_workers: 2,
      worker_config: WORKER_CONFIG,
      pilot_config: { environment },
    });
    const created = await ewms.ok('POST', '/v1/workflows', {
      public_queue_aliases: ['events', 'results'],
      tasks: [task("sed 's/$/ A/' {{INFILE}} > {{OUTFILE}}", 'events', 'middle'), task("sed 's/$/ B/' {{INFILE}} > {{OUTFILE}}", 'middle', 'results')],
    });
    const workflowId = created.workflow.workflow_id as string;
    const [a, b] = created.task_directives as Array<{ input_queues: string[]; output_queues: string[] }>;
    expect(a!.output_queues).toEqual(b!.input_queues);
    const events = a!.input_queues[0]!;
    const results = b!.output_queues[0]!;
    await eventually(async () => {
      const { mqprofiles } = await ewms.ok('GET', `/v1/mqs/workflows/${workflowId}/mq-profiles/public`);
      return mqprofiles.length === 2 && mqprofiles.every((profile: any) => profile.is_activated) ? true : undefined;
    }, 15_000, 'activated queues');

    for (let i = 0; i < EVENTS; i += 250) {
      await ewms.ok('POST', `/v1/mqs/queues/${events}/messages`, { messages: Array.from({ length: 250 }, (_, j) => `event ${i + j}`) });
    }

    const received: string[] = [];
    const drain = async (): Promise<void> => {
      const got = await ewms.ok('POST', `/v1/mqs/queues/${results}/actions/consume`, { max_messages: 500, wait: 1 });
      for (const message of got.messages) received.push(message.message);
      if (got.messages.length > 0) await ewms.ok('POST', `/v1/mqs/queues/${results}/actions/ack`, { ack_ids: got.messages.map((m: any) => m.ack_id) });
    };

    // Midway, kill one of task A's pilots outright (SIGKILL: no chance to give anything back).
    await eventually(async () => {
      await drain();
      return received.length >= 200 ? true : undefined;
    }, 60_000, 'the first results');
    const pilotsOfA = await pilotTasks(t, created.taskforces[0].taskforce_uuid);
    const victim = pilotsOfA.find((pilot) => pilot.state === 'running' && pilot.backend_id);
    expect(victim, 'a running pilot of task A').toBeDefined();
    process.kill(Number(victim!.backend_id), 'SIGKILL');

    await eventually(async () => {
      await drain();
      return new Set(received).size >= EVENTS ? true : undefined;
    }, 90_000, 'every result');
    // Whatever else is still on its way (a duplicate being redelivered) arrives within a few more polls.
    for (let i = 0; i < 3; i++) await drain();

    const expected = Array.from({ length: EVENTS }, (_, i) => `event ${i} A B`);
    expect(new Set(received)).toEqual(new Set(expected));
    // Every event came out (above); only what the killed pilot had taken and not acked can come out twice.
    expect(received.length - EVENTS).toBeLessThanOrEqual(PREFETCH);

    const killed = (await pilotTasks(t, created.taskforces[0].taskforce_uuid)).find((pilot) => pilot.id === victim!.id)!;
    expect(killed.state).toBe('failed');
    const taskforceA = await eventually(async () => {
      const doc = await ewms.ok('GET', `/v1/taskforces/${created.taskforces[0].taskforce_uuid}`);
      return doc.compound_statuses?.COMPLETED ? doc : undefined;
    }, 15_000, 'the killed pilot in the statuses');
    expect(taskforceA.compound_statuses.RUNNING).toBeDefined();
    const depth = await ewms.ok('GET', `/v1/mqs/queues/${events}`);
    expect(depth).toMatchObject({ ready: 0, leased: 0, dead: 0 });
    expect(await ewms.ok('POST', `/v1/workflows/${workflowId}/actions/finished`)).toEqual({ workflow_id: workflowId, n_taskforces: 2 });
  }, 180_000);
});

async function pilotTasks(t: TestServer, taskforceUuid: string): Promise<Array<{ id: string; state: string; backend_id: string | null }>> {
  const rows = await t.server.core.store.db.selectFrom('tasks').select(['id', 'state', 'backend_id', 'definition']).where('queue', '=', 'ewms@local').execute();
  return rows.filter((row) => String(row.definition).includes(taskforceUuid)).map((row) => ({ id: row.id, state: row.state, backend_id: row.backend_id }));
}
