/**
 * Job monitoring (the ClusterCockpit API) on a real server (SQLite):
 *
 * 1. Ingest: metric samples in line protocol, POSTed to /api/write/ in bodies
 *    of 10,000 lines by 4 clients of a load-generator process; samples/s.
 *    Baseline: the same rows
 *    inserted straight into a SQLite file with one prepared statement in one
 *    transaction per body (better-sqlite3, no HTTP, no parsing).
 * 2. Listing: 100,000 stored jobs, `GET /api/jobs/` with filters (state, user,
 *    start-time window) and pages of 25 at varied offsets; p50/p99. Baseline:
 *    the same query in SQL on the same database file.
 * 3. Metrics: `GET /api/jobs/metrics/{id}` of a job of 64 hosts × 4 metrics ×
 *    1 hour at 10 s (92,416 samples); p50/p99 of 100 fetches after 10.
 *
 * Targets: ingest ≥ 300,000 samples/s; filtered list p99 ≤ 20 ms; metrics fetch p99 ≤ 50 ms.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRecord } from '../src/core/job-record.js';
import { newId } from '../src/core/ids.js';
import * as jobsRepo from '../src/store/jobs-repo.js';
import * as recordsRepo from '../src/store/records-repo.js';
import { httpClient } from './lib/http.js';
import { startLoad } from './lib/load-client.js';
import { benchServer } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

const PASSWORD = 'bench-password';
const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const LINES_PER_BODY = 10_000;
const BODIES = Number(process.env.BENCH_BODIES ?? 60);
const CLIENTS = 4;
const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const QUERIES = 400;
const HOSTS = 64;
const METRICS = ['cpu_load', 'mem_used', 'flops_any', 'mem_bw'];
const START = 1_700_000_000;
const CLUSTER = {
  name: 'bench',
  metricConfig: METRICS.map((name) => ({ name, unit: { base: '' }, scope: 'node', timestep: 10, aggregation: 'avg', peak: 1, normal: 1, caution: 1, alert: 1 })),
  subClusters: [{ name: 'main', nodes: 'n[0000-9999]' }],
};

const line = (label: string, values: number[], unit = 'ms'): string =>
  `${label.padEnd(46)} p50 ${fmt(median(values), 2).padStart(8)} ${unit}   p99 ${fmt(percentile(values, 99), 2).padStart(8)} ${unit}`;

const host = (n: number) => `n${String(n).padStart(4, '0')}`;

function body(index: number): string {
  const lines: string[] = [];
  for (let i = 0; i < LINES_PER_BODY; i++) {
    const n = index * LINES_PER_BODY + i;
    lines.push(`${METRICS[n % 4]},cluster=bench,hostname=${host(n % 512)},type=node value=${(n % 1000) / 10} ${START - 86_400 + Math.floor(n / 2048)}`);
  }
  return lines.join('\n');
}

const server = await benchServer({ auth: { adminPassword: PASSWORD, anonymous: {} }, cockpit: { clusters: [CLUSTER] }, worker: { enabled: false } });
const client = httpClient(server.url);
const baseDir = mkdtempSync(join(tmpdir(), 'gantry-bench-monitoring-'));
try {
  // ---- 1. ingest -------------------------------------------------------------
  const bodies = Array.from({ length: BODIES }, (_, index) => body(index));
  const ingestRates: number[] = [];
  const baselineRates: number[] = [];
  const clientSeconds: number[] = [];
  const baseline = new Database(join(baseDir, 'baseline.db'));
  baseline.pragma('journal_mode = WAL');
  baseline.pragma('synchronous = NORMAL');
  baseline.exec('create table samples (cluster text not null, host text not null, metric text not null, scope text not null, scope_id text not null, job_id text, ts integer not null, value real not null)');
  baseline.exec('create index samples_host on samples (cluster, host, metric, ts)');
  baseline.exec('create index samples_job on samples (job_id, metric, ts)');
  baseline.exec('create index samples_ts on samples (ts)');
  const insert = baseline.prepare('insert into samples values (?, ?, ?, ?, ?, ?, ?, ?)');
  const insertBody = baseline.transaction((rows: Array<[string, string, string, number, number]>) => {
    for (const [metric, hostname, , ts, value] of rows) insert.run('bench', hostname, metric, 'node', '', null, ts, value);
  });
  for (let round = 0; round < 3; round++) {
    // The load comes from a process of its own, as a collector's would: one body of the round, sent again and again.
    const count = BODIES / 3;
    const file = join(baseDir, `body-${round}.txt`);
    writeFileSync(file, bodies[round]!);
    const load = await startLoad({ url: `${server.url}/api/write/`, count, concurrency: CLIENTS, headers: AUTH, body: { contentType: 'text/plain', text: `@${file}` } });
    const t0 = performance.now();
    load.go();
    const result = await load.done;
    ingestRates.push((count * LINES_PER_BODY) / ((performance.now() - t0) / 1000));
    clientSeconds.push(result.cpuSeconds);
    const end = (round + 1) * (BODIES / 3);
    const b0 = performance.now();
    for (let index = round * (BODIES / 3); index < end; index++) {
      const rows = bodies[index]!.split('\n').map((line) => {
        const [series, field, ts] = line.split(' ') as [string, string, string];
        const [metric, , hostTag] = series.split(',') as [string, string, string];
        return [metric, hostTag.slice(9), '', Number(ts), Number(field.slice(6))] as [string, string, string, number, number];
      });
      insertBody(rows);
    }
    baselineRates.push(((BODIES / 3) * LINES_PER_BODY) / ((performance.now() - b0) / 1000));
  }
  baseline.close();
  console.log(`monitoring: ingest of ${BODIES * LINES_PER_BODY} samples in line protocol, ${LINES_PER_BODY} per request, ${CLIENTS} clients in a process of their own (3 rounds)`);
  console.log(`  Gantry   median ${fmt(median(ingestRates), 0)} samples/s (rounds ${ingestRates.map((rate) => fmt(rate, 0)).join(', ')})   (target ≥ 300,000)`);
  console.log(`  baseline median ${fmt(median(baselineRates), 0)} rows/s: one prepared SQLite insert per row, no HTTP, no parsing`);
  console.log(`  ratio ${fmt(median(ingestRates) / median(baselineRates), 2)}; load generator CPU ${clientSeconds.map((seconds) => fmt(seconds, 1)).join(', ')} s`);

  // ---- 2. listing ------------------------------------------------------------
  const db = server.core.store.db;
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const states = ['completed', 'completed', 'completed', 'failed', 'cancelled', 'timeout', 'running'] as const;
  const populate0 = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await db.transaction().execute(async (trx) => {
      for (let n = i; n < Math.min(JOBS, i + 1000); n++) {
        const startTime = START + n * 30;
        const state = states[n % states.length]!;
        const job = await jobsRepo.insert(trx, {
          id: newId(), kind: 'external', owner: users[n % users.length]!, name: `bench/${n}`, description: null, state: state === 'running' ? 'running' : state === 'completed' ? 'completed' : state === 'cancelled' ? 'cancelled' : 'failed',
          priority: 0, queue: 'external', tags: [], definition: {}, inputs: {}, secrets: {}, context: { tasks: {} }, position: 1, taskCount: 0, result: null, error: null, progress: 0,
          parentJobId: null, parentTaskId: null, scheduledJobId: null, createdAt: startTime * 1000, scheduledAt: startTime * 1000, startedAt: startTime * 1000, completedAt: null, failedAt: null, cancelledAt: null,
        });
        const record: JobRecord = {
          id: job.numId, jobRef: job.id, batchJobId: 1_000_000 + n, user: job.owner, project: `p${n % 13}`, cluster: 'bench', subCluster: 'main', partition: 'main', arrayJobId: null,
          numNodes: 1 + (n % 64), numHwthreads: 72, numAcc: 0, shared: 'none', walltime: 86_400, smt: null, submitTime: startTime, startTime, duration: state === 'running' ? 0 : 3600,
          state, monitoringStatus: 2, requestedMemory: null, energy: null, resources: [{ hostname: host(n % 512) }], metaData: {}, footprint: null, energyFootprint: null,
        };
        await recordsRepo.insert(trx, record);
      }
    });
  }
  console.log(`\nlisting: ${JOBS} jobs stored in ${fmt((performance.now() - populate0) / 1000, 1)} s`);
  // The samples taken so far are written before the queries are timed (a write of 600,000 samples would otherwise overlap them).
  await server.core.metrics.flush();
  const listTimes: number[] = [];
  const sqlTimes: number[] = [];
  const sqlite = new Database(join(server.core.config.dataDir, 'gantry.db'), { readonly: true });
  const sql = sqlite.prepare("select * from job_records where job_state in (?) and user_name = ? and start_time >= ? and start_time <= ? order by start_time desc, num_id desc limit 25 offset ?");
  for (let q = 0; q < QUERIES; q++) {
    const user = users[q % users.length]!;
    const from = START + ((q * 7919) % JOBS) * 30;
    const to = from + 30 * 20_000;
    const page = 1 + (q % 5);
    const t0 = performance.now();
    const answer = await client.send('GET', `/api/jobs/?state=completed&user=${user}&start-time=${from}-${to}&items-per-page=25&page=${page}`, undefined, AUTH);
    listTimes.push(performance.now() - t0);
    if (answer.status !== 200) throw new Error(`list failed: ${answer.status}`);
    const s0 = performance.now();
    sql.all('completed', user, from, to, (page - 1) * 25);
    sqlTimes.push(performance.now() - s0);
  }
  sqlite.close();
  console.log(`${line('  GET /api/jobs/ (state, user, start-time, page)', listTimes)}   (target p99 ≤ 20 ms)`);
  console.log(line('  baseline: the same query in SQL', sqlTimes));

  // ---- 3. a job's metrics ----------------------------------------------------
  const started = await client.send(
    'POST',
    '/api/jobs/start_job/',
    { contentType: 'application/json', text: JSON.stringify({ jobId: 42, user: 'alice', cluster: 'bench', startTime: START + 10 * 86_400, numNodes: HOSTS, resources: Array.from({ length: HOSTS }, (_, n) => ({ hostname: host(2000 + n) })) }) },
    AUTH,
  );
  const jobId = (JSON.parse(started.text) as { id: number }).id;
  const lines: string[] = [];
  for (let step = 0; step <= 360; step++) for (let n = 0; n < HOSTS; n++) for (const metric of METRICS) lines.push(`${metric},cluster=bench,hostname=${host(2000 + n)} value=${(step + n) % 100} ${START + 10 * 86_400 + step * 10}`);
  for (let i = 0; i < lines.length; i += LINES_PER_BODY) await client.send('POST', '/api/write/', { contentType: 'text/plain', text: lines.slice(i, i + LINES_PER_BODY).join('\n') }, AUTH);
  await client.send('POST', '/api/jobs/stop_job/', { contentType: 'application/json', text: JSON.stringify({ jobId: 42, cluster: 'bench', jobState: 'completed', stopTime: START + 10 * 86_400 + 3600 }) }, AUTH);
  await server.core.metrics.flush();
  const fetchTimes: number[] = [];
  let bytes = 0;
  for (let q = 0; q < 110; q++) {
    const t0 = performance.now();
    const answer = await client.send('GET', `/api/jobs/metrics/${jobId}?${METRICS.map((metric) => `metric=${metric}`).join('&')}`, undefined, AUTH);
    // The first ten warm up (compiled code, caches); the rest are timed.
    if (q >= 10) fetchTimes.push(performance.now() - t0);
    bytes = answer.text.length;
    if (answer.status !== 200) throw new Error(`metrics failed: ${answer.status}`);
  }
  console.log(`\nmetrics of one job: ${HOSTS} hosts × ${METRICS.length} metrics × 1 hour at 10 s (${lines.length} samples), answer ${fmt(bytes / 1024, 0)} KiB, 100 fetches after 10`);
  console.log(`${line('  GET /api/jobs/metrics/{id}', fetchTimes)}   (target p99 ≤ 50 ms)`);
} finally {
  client.close();
  rmSync(baseDir, { recursive: true, force: true });
  await server.cleanup();
}
