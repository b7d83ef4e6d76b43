import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { eventually, request, runJob, startTestServer, yamlHeaders, type TestServer } from '../../support/server.js';
import { specsAvailable, torkSchemaErrors } from '../../support/specs.js';

describe.each(STORES)('Tork health, nodes, queues and metrics on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { worker: { maxTasks: 2, queues: ['default', 'gpu'] } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('reports health with the version', async () => {
    const health = await request(`${t.url}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'UP', version: expect.any(String) } });
  });

  it('lists the in-process worker as a node that heartbeats', async () => {
    const nodes = await request<Array<Record<string, any>>>(`${t.url}/nodes`);
    expect(nodes.status).toBe(200);
    expect(nodes.body).toHaveLength(1);
    const node = nodes.body[0]!;
    // cpuPercent and taskCount are sent even when zero: Tork's web UI shows both.
    expect(node).toMatchObject({
      name: 'local',
      status: 'UP',
      version: expect.any(String),
      hostname: expect.any(String),
      cpuPercent: expect.any(Number),
      taskCount: expect.any(Number),
    });
    expect(node.id).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(node.queue).toBe(`x-${node.id}`);
    if (specsAvailable) expect(torkSchemaErrors('tork.Node', node)).toEqual([]);
  });

  it('keeps listing a node that left, with its status, as Tork lists nodes heard from lately', async () => {
    const gateway = t.server.core.gateway;
    const { nodeId } = await gateway.register({
      name: 'visitor',
      hostname: 'elsewhere',
      version: 'test',
      queues: ['gpu'],
      maxTasks: 1,
      capacityCpus: 1,
      capacityMemoryBytes: 1024 ** 3,
      labels: {},
    });
    const listed = async (): Promise<Array<Record<string, any>>> => (await request<Array<Record<string, any>>>(`${t.url}/nodes`)).body;
    expect((await listed()).find((n) => n.id === nodeId)).toMatchObject({ name: 'visitor', status: 'UP' });
    await gateway.deregister(nodeId);
    expect((await listed()).find((n) => n.id === nodeId)).toMatchObject({ name: 'visitor', status: 'OFFLINE' });
    // It no longer counts as a subscriber of its queue.
    const gpu = (await request<Array<Record<string, any>>>(`${t.url}/queues`)).body.find((q) => q.name === 'gpu');
    expect(gpu).toMatchObject({ subscribers: 1 });
  });

  it('lists real queues with size, subscribers and unacked', async () => {
    // Two long tasks take both slots; a third waits in the queue.
    const ids: string[] = [];
    try {
      await fillQueue(ids);
    } finally {
      // Whatever happened, free the slots for the tests that follow.
      for (const id of ids) await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' });
    }
    await runJob(t.url, 'name: after\ntasks:\n  - name: a\n    run: "true"\n');
  });

  async function fillQueue(ids: string[]): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const { body } = await request<{ id: string }>(`${t.url}/jobs`, {
        method: 'POST',
        headers: yamlHeaders,
        body: `name: busy ${i}\ntasks:\n  - name: sleep\n    run: sleep 30\n`,
      });
      ids.push(body.id);
    }
    const queue = await eventually(async () => {
      const { body } = await request<Array<Record<string, number | string>>>(`${t.url}/queues`);
      const q = body.find((item) => item.name === 'default');
      return q && q.unacked === 2 && q.size === 1 ? q : undefined;
    });
    expect(queue).toEqual({ name: 'default', size: 1, subscribers: 1, unacked: 2 });
    const queues = await request<Array<Record<string, any>>>(`${t.url}/queues`);
    expect(queues.body.map((q) => q.name)).toEqual(expect.arrayContaining(['default', 'gpu']));
    if (specsAvailable) for (const q of queues.body) expect(torkSchemaErrors('mq.QueueInfo', q)).toEqual([]);
    expect(await request(`${t.url}/queues/default`)).toMatchObject({ status: 200, body: { name: 'default' } });

    // Handed to the node (unacked) comes a moment before running.
    const metrics = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/metrics`);
      return body.tasks.running === 2 ? body : undefined;
    });
    expect(metrics).toMatchObject({ jobs: { running: 2 }, tasks: { running: 2 }, nodes: { online: 1, cpuPercent: expect.any(Number) } });

    // Purging the queue cancels the job that waited in it.
    const privateQueue = queues.body.find((q) => String(q.name).startsWith('x-'))!;
    expect(await request(`${t.url}/queues/${privateQueue.name}`, { method: 'DELETE' })).toMatchObject({
      status: 400,
      body: { message: `queue ${privateQueue.name} is not a task queue` },
    });
    const purge = await fetch(`${t.url}/queues/default`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${ids[2]}`);
      return body.state === 'CANCELLED' ? true : undefined;
    });
  }

  it('serves Prometheus counters at /metrics to a scraper', async () => {
    await runJob(t.url, 'name: counted\ntasks:\n  - name: a\n    run: "true"\n');
    const response = await fetch(`${t.url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } });
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/gantry_job_transitions_total\{kind="pipeline",state="completed"\} [1-9]/);
    expect(text).toMatch(/gantry_task_transitions_total\{queue="default",state="running"\} [1-9]/);
    expect(text).toMatch(/gantry_nodes_up 1/);
  });

  it('runs tasks on other queues the worker serves', async () => {
    const job = await runJob(t.url, 'name: on gpu\ntasks:\n  - name: a\n    queue: gpu\n    run: echo gpu\n');
    expect(job.state).toBe('COMPLETED');
    expect(job.execution[0].queue).toBe('gpu');
  });
});
