/**
 * Queue: the core without processes (a no-op runtime, benchmark only). 20,000
 * single-task jobs through the scheduler on SQLite and on PostgreSQL, beside
 * graphile-worker doing 20,000 no-op jobs on the same PostgreSQL server in the
 * same run. Jobs are inserted first (timed apart); then the clock runs until all
 * are done. Judged by Gantry on PostgreSQL ÷ graphile-worker's default
 * configuration (target ≥ 1.0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, run, runMigrations } from 'graphile-worker';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import type { PipelineDefinition } from '../src/core/pipeline.js';
import { startCore } from '../src/gantry.js';
import { webhookRenderer } from '../src/api/server.js';
import { NoopRuntime } from './lib/noop-runtime.js';
import { startEmbeddedPostgres } from '../test/support/embedded-postgres.js';
import { fmt } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const SLOTS = 64;
const JOB: PipelineDefinition = { name: 'noop', tasks: [{ name: 'noop', run: 'true' }] };

interface Result {
  insertPerSecond: number;
  perSecond: number;
}

async function gantry(database: string | undefined): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-queue-'));
  const config = loadConfig({ env: {}, flags: { dataDir, database, logLevel: 'silent', worker: { maxTasks: SLOTS } } });
  const core = await startCore({ config, logger: pino({ level: 'silent' }), webhookRenderer, runtime: new NoopRuntime() });
  try {
    // Hold placement while the jobs go in, so inserting and running are timed apart.
    await core.scheduler.stop();
    const insertStart = performance.now();
    for (let i = 0; i < JOBS; i++) await core.jobs.submitPipeline(JOB, { owner: 'bench' });
    const insertSeconds = (performance.now() - insertStart) / 1000;
    let ended = 0;
    const done = new Promise<void>((resolve) => {
      core.bus.subscribe((event) => {
        if (event.type === 'job.state' && event.to === 'completed' && ++ended === JOBS) resolve();
      });
    });
    const start = performance.now();
    core.scheduler.start();
    await done;
    return { insertPerSecond: JOBS / insertSeconds, perSecond: JOBS / ((performance.now() - start) / 1000) };
  } finally {
    await core.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function graphile(connectionString: string, concurrency: number | undefined): Promise<Result> {
  // graphile-worker logs a line per job at info; silence it so logging costs neither side.
  const options = { connectionString, logger: new Logger(() => () => undefined), noHandleSignals: true, ...(concurrency ? { concurrency } : {}) };
  await runMigrations(options);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const insertStart = performance.now();
    await client.query(`select graphile_worker.add_job('noop', '{}'::json) from generate_series(1, ${JOBS})`);
    const insertSeconds = (performance.now() - insertStart) / 1000;
    let finished = 0;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const start = performance.now();
    const runner = await run(options, {
      noop: async () => {
        if (++finished === JOBS) resolveDone();
      },
    });
    await done;
    const seconds = (performance.now() - start) / 1000;
    await runner.stop();
    return { insertPerSecond: JOBS / insertSeconds, perSecond: JOBS / seconds };
  } finally {
    await client.end();
  }
}

// The same embedded PostgreSQL the tests use, with its default durability.
const postgres = await startEmbeddedPostgres({ durable: true });
try {
  for (const name of ['gantry_bench', 'graphile_default', 'graphile_matched']) await postgres.createDatabase(name);
  console.log(`queue: ${JOBS} no-op jobs; Gantry with ${SLOTS} slots; graphile-worker default (concurrency 1) and with concurrency ${SLOTS}`);
  const sqlite = await gantry(undefined);
  console.log(`gantry on SQLite            ${fmt(sqlite.perSecond)} jobs/s   (insert ${fmt(sqlite.insertPerSecond)} jobs/s)`);
  const onPg = await gantry(postgres.url('gantry_bench'));
  console.log(`gantry on PostgreSQL        ${fmt(onPg.perSecond)} jobs/s   (insert ${fmt(onPg.insertPerSecond)} jobs/s)`);
  const graphileDefault = await graphile(postgres.url('graphile_default'), undefined);
  console.log(`graphile-worker default     ${fmt(graphileDefault.perSecond)} jobs/s   (insert ${fmt(graphileDefault.insertPerSecond)} jobs/s, one statement)`);
  const graphileMatched = await graphile(postgres.url('graphile_matched'), SLOTS);
  console.log(`graphile-worker ×${SLOTS}        ${fmt(graphileMatched.perSecond)} jobs/s`);
  console.log(`ratio gantry(PostgreSQL)/graphile-worker default ${fmt(onPg.perSecond / graphileDefault.perSecond, 2)} (target ≥ 1.0)`);
  console.log(`ratio gantry(PostgreSQL)/graphile-worker ×${SLOTS}   ${fmt(onPg.perSecond / graphileMatched.perSecond, 2)}`);
} finally {
  await postgres.stop();
}
