import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { eventually, request, startTestServer, waitForJob, yamlHeaders, type TestServer } from '../support/server.js';

/**
 * The worker protocol as a worker on another machine would use it (register,
 * receive, report, heartbeat), against a server without its own worker; and what
 * happens when such a node goes silent.
 */
describe.each(STORES)('worker protocol on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { worker: { enabled: false }, scheduler: { nodeTimeoutMs: 1_500 } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  async function submit(yaml: string): Promise<string> {
    const { body } = await request<{ id: string }>(`${t.url}/jobs`, { method: 'POST', body: yaml, headers: yamlHeaders });
    return body.id;
  }

  const registration = { name: 'remote', hostname: 'elsewhere', version: 'test', queues: ['default'], maxTasks: 2, capacityCpus: 1, capacityMemoryBytes: 1e9, labels: {} };

  it('hands assignments to a registered node and applies its reports', async () => {
    const gateway = t.server.core.gateway;
    const { nodeId } = await gateway.register(registration);
    const id = await submit('name: remote job\ntasks:\n  - name: a\n    var: out\n    run: echo remote\n');
    const [message] = await gateway.receive(nodeId, { max: 2, waitMs: 5_000 });
    expect(message).toMatchObject({ type: 'run', assignment: { jobId: id, attempt: 1 } });
    if (message?.type !== 'run') throw new Error('expected an assignment');
    const { taskId } = message.assignment;
    expect(message.assignment.spec.steps[0]).toMatchObject({ role: 'main', run: 'echo remote' });
    const at = Date.now();
    await gateway.report(nodeId, [
      { type: 'started', taskId, jobId: id, attempt: 1, backendId: 'pid-1', at },
      { type: 'log', taskId, jobId: id, attempt: 1, contents: 'remote\n', at },
      { type: 'finished', taskId, jobId: id, attempt: 1, outcome: { end: 'exited', exitCode: 0, output: 'done' }, at },
    ]);
    const job = await waitForJob(t.url, id);
    expect(job).toMatchObject({ state: 'COMPLETED', context: { tasks: { out: 'done' } } });
    const log = await request<Record<string, any>>(`${t.url}/jobs/${id}/log`);
    expect(log.body.items[0].contents).toBe('remote\n');
    // A report for another job's task is ignored.
    await gateway.report(nodeId, [{ type: 'finished', taskId, jobId: 'not-its-job', attempt: 1, outcome: { end: 'exited', exitCode: 1 }, at }]);
    expect((await waitForJob(t.url, id)).state).toBe('COMPLETED');
    await gateway.deregister(nodeId);
  });

  it('applies the other jobs of a batch when one job’s reports cannot be written, and fails that job’s task visibly', async () => {
    const gateway = t.server.core.gateway;
    const { nodeId } = await gateway.register(registration);
    const good = await submit('name: good\ntasks:\n  - name: a\n    run: "true"\n');
    const bad = await submit('name: bad\ntasks:\n  - name: a\n    run: "true"\n');
    const assignments = new Map<string, string>();
    await eventually(async () => {
      for (const message of await gateway.receive(nodeId, { max: 2, waitMs: 1_000 })) {
        if (message.type === 'run') assignments.set(message.assignment.jobId, message.assignment.taskId);
      }
      return assignments.size === 2 ? true : undefined;
    });
    const at = Date.now();
    await gateway.report(nodeId, [
      { type: 'started', taskId: assignments.get(good)!, jobId: good, attempt: 1, backendId: 'g', at },
      { type: 'started', taskId: assignments.get(bad)!, jobId: bad, attempt: 1, backendId: 'b', at },
      // A log part that is not text: a node with a bug, or a message mangled on the way.
      { type: 'log', taskId: assignments.get(bad)!, jobId: bad, attempt: 1, contents: 42 as unknown as string, at },
      { type: 'finished', taskId: assignments.get(good)!, jobId: good, attempt: 1, outcome: { end: 'exited', exitCode: 0 }, at },
      { type: 'finished', taskId: assignments.get(bad)!, jobId: bad, attempt: 1, outcome: { end: 'exited', exitCode: 0 }, at },
    ]);
    expect((await waitForJob(t.url, good)).state).toBe('COMPLETED');
    const failed = await waitForJob(t.url, bad);
    expect(failed).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/^Gantry could not record what the node reported: /) });
    await gateway.deregister(nodeId);
  });

  it('declares a silent node down and retries its running task elsewhere', async () => {
    const gateway = t.server.core.gateway;
    const { nodeId } = await gateway.register(registration);
    const id = await submit('name: orphaned\ntasks:\n  - name: a\n    run: sleep 10\n    retry:\n      limit: 1\n');
    const [message] = await gateway.receive(nodeId, { max: 2, waitMs: 5_000 });
    if (message?.type !== 'run') throw new Error('expected an assignment');
    await gateway.report(nodeId, [{ type: 'started', taskId: message.assignment.taskId, jobId: id, attempt: 1, backendId: 'x', at: Date.now() }]);
    // No heartbeats from here on.
    // Declared DOWN, and still listed so for a while, as Tork lists the nodes it heard from lately.
    const down = await eventually(async () => {
      const { body } = await request<Array<Record<string, any>>>(`${t.url}/nodes`);
      return body.find((node) => node.id === nodeId && node.status === 'DOWN');
    });
    expect(down).toMatchObject({ id: nodeId, status: 'DOWN' });
    await expect(gateway.heartbeat(nodeId, { cpuPercent: 1, running: [] })).rejects.toThrow(/register again/);
    const requeued = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${id}`);
      const task = body.execution[0];
      return task.state === 'PENDING' && task.retry?.attempts === 1 ? task : undefined;
    });
    expect(requeued.error).toMatch(/stopped sending heartbeats/);
    await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' });
  });
});
