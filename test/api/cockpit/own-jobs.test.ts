/**
 * One core: the jobs Gantry runs itself appear among ClusterCockpit's jobs,
 * with their owner, their state in ClusterCockpit's words, the nodes they ran
 * on, and the cpu and memory their tasks used as sampled by the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cockpitSchemaErrors, specsAvailable } from '../../support/specs.js';
import { eventually, request, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';
import { STORES } from '../../support/stores.js';

const admin = { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}` };

describe.each(STORES)('Gantry\'s own jobs in ClusterCockpit (%s)', (store) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(store, { auth: { anonymous: {} }, worker: { sampleMs: 200 }, apps: { tickMs: 200 } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const listed = async (project: string) => (await request<any>(`${t.url}/api/jobs/?cluster=gantry&with-metadata`, { headers: admin })).body.jobs.filter((job: any) => job.project === project);

  it('lists a pipeline as a ClusterCockpit job with the cpu and memory its task used', async () => {
    const yaml = [
      'name: busy',
      'tasks:',
      '  - name: spin',
      '    run: |',
      "      python3 - <<'PY'",
      '      import time',
      '      end = time.time() + 1.5',
      '      x = bytearray(32 * 1024 * 1024)',
      '      while time.time() < end:',
      '          pass',
      '      PY',
      '',
    ].join('\n');
    const submitted = await request<{ id: string }>(`${t.url}/jobs`, { method: 'POST', body: yaml, headers: { ...admin, 'content-type': 'text/yaml' } });
    expect(submitted.status).toBe(200);
    const job = await eventually(async () => {
      const [found] = (await listed('pipeline')).filter((candidate: any) => candidate.metaData.gantryId === submitted.body.id);
      return found?.jobState === 'completed' ? found : undefined;
    }, 20_000, 'the pipeline to be recorded completed');
    expect(job).toMatchObject({ user: 'admin', cluster: 'gantry', subCluster: 'main', numNodes: 1, metaData: { jobName: 'busy', gantryKind: 'pipeline' } });
    expect(job.duration).toBeGreaterThanOrEqual(1);
    if (specsAvailable) expect(cockpitSchemaErrors('schema.Job', job)).toEqual([]);

    const metrics = await request<any>(`${t.url}/api/jobs/metrics/${job.id}?metric=cpu_load&metric=mem_used`, { headers: admin });
    const cpu = metrics.body.metrics.find((metric: any) => metric.name === 'cpu_load');
    const mem = metrics.body.metrics.find((metric: any) => metric.name === 'mem_used');
    expect(cpu.series).toHaveLength(1);
    expect(cpu.series[0].hostname).toBe(job.resources[0].hostname);
    // A busy loop keeps about one core busy; the 32 MiB it holds show in its memory.
    expect(cpu.series[0].statistics.max).toBeGreaterThan(0.5);
    expect(mem.unit).toEqual({ base: 'B', prefix: 'G' });
    expect(mem.series[0].statistics.max).toBeGreaterThan(0.03);
  });

  it('lists an application while it runs and once it is terminated', async () => {
    const zapp = {
      name: 'watched',
      version: 3,
      will_end: false,
      size: 1,
      services: [{ name: 'idle', image: 'busybox', command: 'exec sleep 600', environment: [], ports: [], volumes: [], monitor: true, startup_order: 0, essential_count: 1, total_count: 1, resources: { memory: { min: null, max: null }, cores: { min: 0.05, max: null } } }],
    };
    const started = await request<{ execution_id: number }>(`${t.url}/api/0.7/execution`, { method: 'POST', body: JSON.stringify({ application: zapp, name: 'watched' }), headers: { ...admin, 'content-type': 'application/json' } });
    const id = started.body.execution_id;
    const running = await eventually(async () => (await listed('app')).find((job: any) => job.id === id && job.jobState === 'running'), 20_000, 'the execution to be recorded running');
    expect(running).toMatchObject({ jobId: id, user: 'admin', metaData: { jobName: 'watched' } });
    await request(`${t.url}/api/0.7/execution/${id}`, { method: 'DELETE', headers: admin });
    const ended = await eventually(async () => (await listed('app')).find((job: any) => job.id === id && job.jobState === 'cancelled'), 20_000, 'the execution to be recorded cancelled');
    // Its start is when it was admitted, this run; a zero duration is left out, as in ClusterCockpit.
    expect(ended.startTime).toBeGreaterThanOrEqual(running.startTime);
    expect(ended.startTime * 1000).toBeLessThanOrEqual(Date.now());
    // Deleting the execution deletes its record.
    await request(`${t.url}/api/0.7/execution/delete/${id}`, { method: 'DELETE', headers: admin });
    expect((await request(`${t.url}/api/jobs/${id}`, { headers: admin })).status).toBe(404);
  });
});

describe('code snippets in ClusterCockpit (sqlite)', () => {
  it('lists a snippet run as a completed ClusterCockpit job of its caller', async () => {
    const t = await startTestServer('sqlite', { auth: { anonymous: {} }, exec: { enabled: true, spares: { python: 1, node: 1 } } });
    try {
      const ran = await request<any>(`${t.url}/v1/exec`, { method: 'POST', body: JSON.stringify({ code: 'print(6 * 7)' }), headers: { ...admin, 'content-type': 'application/json' } });
      expect(ran.body.stdout).toBe('42\n');
      const job = await eventually(async () => {
        const jobs = (await request<any>(`${t.url}/api/jobs/?cluster=gantry&with-metadata`, { headers: admin })).body.jobs as any[];
        return jobs.find((candidate) => candidate.project === 'exec' && candidate.jobState === 'completed');
      }, 20_000, 'the snippet to be recorded');
      expect(job).toMatchObject({ user: 'admin', metaData: { gantryKind: 'exec' } });
    } finally {
      await t.destroy();
    }
  });
});
