/**
 * Queue: the core without processes (a no-op runtime, benchmark only). N
 * single-task jobs through the scheduler on SQLite and on PostgreSQL, beside
 * graphile-worker 0.16 doing N no-op jobs on the same PostgreSQL server (an
 * embedded PostgreSQL this benchmark starts, with its default durability).
 *
 * Each side inserts all its jobs first (timed apart: Gantry through
 * `core.jobs.submitPipeline`, graphile-worker through `add_jobs` in batches), then
 * the clock runs until every job is done. Every round uses fresh databases.
 * Judged by Gantry on PostgreSQL ÷ graphile-worker's default configuration
 * (concurrency 1); graphile-worker with Gantry's concurrency is shown beside it.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, run, runMigrations, type RunnerOptions, type WorkerEvents } from 'graphile-worker';
import pg from 'pg';
import { pino } from 'pino';
import { webhookRenderer } from '../src/api/server.js';
import { loadConfig } from '../src/config/load.js';
import type { PipelineDefinition } from '../src/core/pipeline.js';
import { startCore } from '../src/gantry.js';
import { startEmbeddedPostgres } from '../test/support/embedded-postgres.js';
import { cpuMeter, describeCpu, type CpuReading } from './lib/cpu.js';
import { NoopRuntime } from './lib/noop-runtime.js';
import { phase } from './lib/phase.js';
import { fmt, median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_JOBS = 2_000;
const SLOTS = 64;
/** Submitters in flight while inserting (as an HTTP server sees concurrent POSTs). */
const SUBMITTERS = 16;
const GRAPHILE_BATCH = 1_000;
const JOB: PipelineDefinition = { name: 'noop', tasks: [{ name: 'noop', run: 'true' }] };

interface Result {
  insertPerSecond: number;
  perSecond: number;
  /** CPU used while the jobs ran (not while they were inserted). */
  cpu: CpuReading;
}

async function gantry(database: string | undefined, jobs: number): Promise<Result> {
  const label = `gantry-${database ? 'postgres' : 'sqlite'}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-queue-'));
  const config = loadConfig({ env: {}, flags: { dataDir, database, logLevel: 'silent', worker: { maxTasks: SLOTS }, exec: { enabled: false } } });
  const core = await startCore({ config, logger: pino({ level: 'silent' }), webhookRenderer, runtime: new NoopRuntime() });
  try {
    // Hold placement while the jobs go in, so inserting and running are timed apart.
    await core.scheduler.stop();
    let next = 0;
    const insertStart = performance.now();
    await phase(`${label}-insert`, jobs, () =>
      Promise.all(
        Array.from({ length: SUBMITTERS }, async () => {
          while (next < jobs) {
            next++;
            await core.jobs.submitPipeline(JOB, { owner: 'bench' });
          }
        }),
      ),
    );
    const insertSeconds = (performance.now() - insertStart) / 1000;
    let completed = 0;
    const done = new Promise<void>((resolve, reject) => {
      core.bus.subscribe((event) => {
        if (event.type !== 'job.state') return;
        if (event.to === 'failed' || event.to === 'cancelled') reject(new Error(`job ${event.job.id} ${event.to}`));
        if (event.to === 'completed' && ++completed === jobs) resolve();
      });
    });
    const meter = cpuMeter();
    await phase(`${label}-run`, jobs, async () => {
      core.scheduler.start();
      await done;
    });
    const cpu = meter();
    return { insertPerSecond: jobs / insertSeconds, perSecond: jobs / cpu.wallSeconds, cpu };
  } finally {
    await core.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function graphile(connectionString: string, jobs: number, concurrency: number | undefined): Promise<Result> {
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  const options: RunnerOptions = {
    connectionString,
    // Its default logger prints a line per job; silenced, as Gantry's is, so logging costs neither side.
    logger: new Logger(() => () => undefined),
    noHandleSignals: true,
    events,
    ...(concurrency ? { concurrency } : {}),
  };
  await runMigrations(options);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const insertStart = performance.now();
    for (let added = 0; added < jobs; added += GRAPHILE_BATCH) {
      const count = Math.min(GRAPHILE_BATCH, jobs - added);
      await client.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
           from generate_series(1, $1)))`,
        [count],
      );
    }
    const insertSeconds = (performance.now() - insertStart) / 1000;
    // `job:complete` is emitted once the job's completion is committed (the queue row is gone).
    let completed = 0;
    let cpu: CpuReading | undefined;
    const done = new Promise<void>((resolve, reject) => {
      events.on('job:complete', ({ error }) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else if (++completed === jobs) resolve();
      });
    });
    const meter = cpuMeter();
    await phase(`graphile-x${concurrency ?? 1}-run`, jobs, async () => {
      const runner = await run(options, { noop: async () => undefined });
      await done;
      cpu = meter();
      await runner.stop();
    });
    return { insertPerSecond: jobs / insertSeconds, perSecond: jobs / cpu!.wallSeconds, cpu: cpu! };
  } finally {
    await client.end();
  }
}

const postgres = await startEmbeddedPostgres({ durable: true });
try {
  let databases = 0;
  const freshDatabase = async (): Promise<string> => {
    const name = `bench_${++databases}`;
    await postgres.createDatabase(name);
    return postgres.url(name);
  };
  console.log(`queue: ${JOBS} single-task no-op jobs per round, ${ROUNDS} rounds (after a ${WARMUP_JOBS}-job warm-up of each side)`);
  console.log(`  gantry: no-op runtime, worker.maxTasks ${SLOTS}, ${SUBMITTERS} submitters while inserting; PostgreSQL pool 10`);
  console.log(`  graphile-worker 0.16: default configuration (concurrency 1, pool 10) and concurrency ${SLOTS}; add_jobs in batches of ${GRAPHILE_BATCH}`);
  await gantry(undefined, WARMUP_JOBS);
  await gantry(await freshDatabase(), WARMUP_JOBS);
  await graphile(await freshDatabase(), WARMUP_JOBS, undefined);

  const rows = { sqlite: [] as Result[], postgres: [] as Result[], graphileDefault: [] as Result[], graphileMatched: [] as Result[] };
  for (let round = 1; round <= ROUNDS; round++) {
    const steps: Array<() => Promise<void>> = [
      async () => void rows.sqlite.push(await gantry(undefined, JOBS)),
      async () => void rows.postgres.push(await gantry(await freshDatabase(), JOBS)),
      async () => void rows.graphileDefault.push(await graphile(await freshDatabase(), JOBS, undefined)),
      async () => void rows.graphileMatched.push(await graphile(await freshDatabase(), JOBS, SLOTS)),
    ];
    // Alternate the order so drift on a noisy machine hits each side alike.
    for (const step of round % 2 === 1 ? steps : steps.reverse()) await step();
    console.log(
      `  round ${round}: gantry SQLite ${fmt(rows.sqlite.at(-1)!.perSecond)}, gantry PostgreSQL ${fmt(rows.postgres.at(-1)!.perSecond)}, ` +
        `graphile default ${fmt(rows.graphileDefault.at(-1)!.perSecond)}, graphile ×${SLOTS} ${fmt(rows.graphileMatched.at(-1)!.perSecond)} jobs/s`,
    );
  }
  const rate = (results: Result[]): number => median(results.map((r) => r.perSecond));
  const insert = (results: Result[]): number => median(results.map((r) => r.insertPerSecond));
  // The CPU of the median round, as average cores busy while the jobs ran.
  const cpu = (results: Result[]): string => describeCpu([...results].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((results.length - 1) / 2)]!.cpu);
  console.log(`gantry on SQLite              median ${fmt(rate(rows.sqlite))} jobs/s   (insert ${fmt(insert(rows.sqlite))} jobs/s; ${cpu(rows.sqlite)})`);
  console.log(`gantry on PostgreSQL          median ${fmt(rate(rows.postgres))} jobs/s   (insert ${fmt(insert(rows.postgres))} jobs/s; ${cpu(rows.postgres)})`);
  console.log(`graphile-worker default (×1)  median ${fmt(rate(rows.graphileDefault))} jobs/s   (add_jobs ${fmt(insert(rows.graphileDefault))} jobs/s; ${cpu(rows.graphileDefault)})`);
  console.log(`graphile-worker ×${SLOTS}          median ${fmt(rate(rows.graphileMatched))} jobs/s   (${cpu(rows.graphileMatched)})`);
  console.log(`ratio gantry(PostgreSQL)/graphile-worker default ${fmt(rate(rows.postgres) / rate(rows.graphileDefault), 2)} (target ≥ 1.0)`);
  console.log(`ratio gantry(PostgreSQL)/graphile-worker ×${SLOTS}     ${fmt(rate(rows.postgres) / rate(rows.graphileMatched), 2)}`);
} finally {
  await postgres.stop();
}
