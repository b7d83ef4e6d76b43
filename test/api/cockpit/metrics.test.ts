/**
 * Metric samples written in line protocol (ClusterCockpit's metric store), a
 * job's metrics with per-host series, statistics and units, and the page's own
 * curl + jq scripts run against the server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cockpitSchemaErrors, seedsAvailable, seedScript, specsAvailable } from '../../support/specs.js';
import { request, startTestServer, type TestServer } from '../../support/server.js';

const run = promisify(execFile);
const PAGE = 'clustercockpit-api.txt';
const START = 1_700_000_000;
const CLUSTER = {
  name: 'fritz',
  metricConfig: [
    { name: 'mem_bw', unit: { base: 'B/s', prefix: 'G' }, scope: 'socket', timestep: 60, aggregation: 'sum', peak: 350, normal: 100, caution: 50, alert: 10 },
    { name: 'flops_any', unit: { base: 'F/s', prefix: 'G' }, scope: 'hwthread', timestep: 60, aggregation: 'sum', peak: 5600, normal: 1000, caution: 200, alert: 50 },
    { name: 'cpu_load', unit: { base: '' }, scope: 'node', timestep: 60, aggregation: 'avg', peak: 72, normal: 72, caution: 36, alert: 5 },
  ],
  subClusters: [{ name: 'main', nodes: 'f[0101-0999]' }],
};

describe('ClusterCockpit metrics (sqlite)', () => {
  let t: TestServer;
  let token: string;
  let userToken: string;
  let jobId: number;
  const headers = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' });
  const write = (body: string, query = '') => fetch(`${t.url}/api/write/${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} }, cockpit: { clusters: [CLUSTER] } });
    await t.server.core.identity.addUser({ username: 'robot', roles: ['api'], password: 'robot-password' });
    await t.server.core.identity.addUser({ username: 'alice', roles: ['user', 'api'], password: 'alice-password' });
    token = await t.server.core.identity.issueJwt('robot');
    userToken = await t.server.core.identity.issueJwt('alice');
    const started = await request<{ id: number }>(`${t.url}/api/jobs/start_job/`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ jobId: 1, user: 'alice', cluster: 'fritz', startTime: START, numNodes: 2, walltime: 7200, resources: [{ hostname: 'f0101' }, { hostname: 'f0102' }] }),
    });
    jobId = started.body.id;
    // One hour at 60 s: mem_bw per host (the second at twice the first), cpu_load and flops_any.
    const lines: string[] = [];
    for (let step = 0; step <= 60; step++) {
      const ts = START + step * 60;
      lines.push(`mem_bw,cluster=fritz,hostname=f0101,type=node value=${10 + (step % 3)} ${ts}`);
      lines.push(`mem_bw,cluster=fritz,hostname=f0102,type=node value=${2 * (10 + (step % 3))} ${ts}`);
      lines.push(`cpu_load,hostname=f0101,type=node value=0.05 ${ts * 1000}`);
      lines.push(`cpu_load,hostname=f0102,type=node value=71.5 ${ts * 1000}`);
      lines.push(`flops_any,cluster=fritz,hostname=f0101 value=${100 * step}i ${ts}`);
    }
    // cpu_load lines carry no cluster tag: the request names it; their timestamps are milliseconds.
    const answer = await write(lines.join('\n'), '?cluster=fritz');
    expect(answer.status).toBe(200);
    await request(`${t.url}/api/jobs/stop_job/`, { method: 'POST', headers: headers(), body: JSON.stringify({ jobId: 1, cluster: 'fritz', jobState: 'completed', stopTime: START + 3600 }) });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('answers a job\'s metrics with per-host series, statistics and units, in both of ClusterCockpit\'s shapes', async () => {
    const answer = await request<any>(`${t.url}/api/jobs/metrics/${jobId}?metric=mem_bw&metric=cpu_load`, { headers: headers() });
    expect(answer.status).toBe(200);
    const memBw = answer.body.metrics.find((metric: any) => metric.name === 'mem_bw');
    expect(memBw).toMatchObject({ scope: 'node', unit: { base: 'B/s', prefix: 'G' }, timestep: 60 });
    expect(memBw.series.map((series: any) => series.hostname)).toEqual(['f0101', 'f0102']);
    expect(memBw.series[0].statistics).toEqual({ min: 10, max: 12, avg: expect.closeTo(10.98, 1) });
    expect(memBw.series[1].statistics.max).toBe(24);
    expect(memBw.series[0].data).toHaveLength(61);
    expect(answer.body.data.jobMetrics.map((metric: any) => metric.name).sort()).toEqual(['cpu_load', 'mem_bw']);
    expect(answer.body.metrics.map((metric: any) => metric.name)).not.toContain('flops_any');
    if (specsAvailable) for (const metric of answer.body.data.jobMetrics) expect(cockpitSchemaErrors('api.JobMetricWithName', metric)).toEqual([]);

    const full = await request<any>(`${t.url}/api/jobs/${jobId}`, { headers: headers() });
    expect(full.body.data.map((metric: any) => metric.name).sort()).toEqual(['cpu_load', 'flops_any', 'mem_bw']);
    if (specsAvailable) expect(cockpitSchemaErrors('api.GetJobAPIResponse', full.body)).toEqual([]);
    const chosen = await request<any>(`${t.url}/api/jobs/${jobId}`, { method: 'POST', headers: headers(), body: JSON.stringify(['flops_any']) });
    expect(chosen.body.data.map((metric: any) => metric.name)).toEqual(['flops_any']);
    // The user API: alice's own job.
    const own = await request<any>(`${t.url}/userapi/jobs/metrics/${jobId}?metric=cpu_load`, { headers: { authorization: `Bearer ${userToken}` } });
    expect(own.body.metrics[0].series).toHaveLength(2);
  });

  it('refuses samples it cannot read, and bad metric queries, in ClusterCockpit\'s error body', async () => {
    for (const [body, query, message] of [
      ['mem_bw,cluster=fritz,hostname=f0101 value=abc 1700000000', '', /line 1: value abc is not a number/],
      ['mem_bw,cluster=fritz value=1 1700000000', '', /line 1: no hostname tag/],
      ['mem_bw,hostname=f0101 value=1 1700000000', '', /line 1: no cluster/],
      ['mem_bw,cluster=fritz,hostname=f0101 other=1 1700000000', '', /no value field/],
      ['mem_bw,cluster=fritz,hostname=f0101 value=1 soon', '', /timestamp soon/],
      ['mem_bw,cluster=fritz,hostname=f0101 value=1 1700000000', '?precision=days', /precision days/],
    ] as const) {
      const answer = await write(body, query);
      expect(answer.status, body).toBe(400);
      const error = (await answer.json()) as { status: string; error: string };
      expect(error.status).toBe('Bad Request');
      expect(error.error).toMatch(message);
    }
    expect((await request<any>(`${t.url}/api/jobs/metrics/${jobId}?scope=galaxy`, { headers: headers() })).body.error).toMatch(/unmarshaling scope failed/);
  });

  describe.skipIf(!seedsAvailable)('the page\'s scripts', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-cc-scripts-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const bash = (script: string, env: Record<string, string>) => run('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CC_URL: t.url, ...env } });

    it('extracts the per-node average of a metric', async () => {
      const script = seedScript(PAGE, 'Extract per-node average for a metric:', (line) => line === "'");
      const { stdout } = await bash(script, { TOKEN: token, DB_ID: String(jobId) });
      const averages = JSON.parse(`[${stdout.trim().replace(/\}\s*\{/g, '},{')}]`) as Array<{ hostname: string; avg: number }>;
      expect(averages.map((entry) => entry.hostname)).toEqual(['f0101', 'f0102']);
      expect(averages[1]!.avg).toBeCloseTo(2 * averages[0]!.avg, 6);
    });

    it('bulk-tags the jobs listed in a file', async () => {
      const ids: number[] = [];
      for (const batch of [11, 12, 13]) {
        const answer = await request<{ id: number }>(`${t.url}/api/jobs/start_job/`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ jobId: batch, user: 'alice', cluster: 'fritz', startTime: START, numNodes: 1, resources: [{ hostname: 'f0103' }] }),
        });
        ids.push(answer.body.id);
      }
      writeFileSync(join(dir, 'job_ids.txt'), `${ids.join('\n')}\n\n`);
      const script = seedScript(PAGE, 'Script: bulk-tag a list of job database IDs from a file (job_ids.txt):', (line) => line === 'done < job_ids.txt');
      const { stdout } = await bash(script, { TOKEN: token });
      expect(stdout.trim().split('\n')).toEqual(ids.map((id) => `Job ${id}: HTTP 200`));
      for (const id of ids) {
        const job = await request<any>(`${t.url}/api/jobs/${id}`, { headers: headers() });
        expect(job.body.meta.tags).toEqual([expect.objectContaining({ type: 'review', name: 'flagged', scope: 'global' })]);
      }
    });

    it('prints the efficiency table of the user\'s completed jobs', async () => {
      const script = seedScript(PAGE, 'Script: summarize job efficiency', (line) => line.startsWith("' | column -t -N"));
      const { stdout } = await bash(script, { TOKEN: userToken });
      const rows = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/));
      expect(rows[0]).toEqual(['DB_ID', 'JobID', 'Duration', 'Walltime', 'Efficiency']);
      expect(rows.slice(1)).toEqual([[String(jobId), '1', '3600', '7200', '50%']]);
    });
  });
});
