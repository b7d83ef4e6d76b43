/**
 * Throughput: N single-task jobs that run `true`, submitted over HTTP to a real
 * server (SQLite, sandboxed process runtime), against a plain loop that runs the
 * same sandbox directly through the runtime with the same concurrency.
 * Judged by the ratio gantry/baseline (target ≥ 0.8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { createProcessRuntime, processRuntimeOptions } from '../src/runtime/process/index.js';
import type { RunRequest } from '../src/runtime/runtime.js';
import { cpuMeter, type CpuReading } from './lib/cpu.js';
import { startLoad } from './lib/load-client.js';
import { phase } from './lib/phase.js';
import { benchServer, jobsEnded } from './lib/server.js';
import { fmt, median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HTTP_CONCURRENCY = 16;
const WARMUP_JOBS = 200;
const config = loadConfig({ env: {}, flags: {} });
const SLOTS = config.worker.maxTasks;
const JOB = JSON.stringify({ name: 'bench', tasks: [{ name: 'noop', run: 'true' }] });

interface Round {
  perSecond: number;
  cpu: CpuReading;
  /** CPU seconds of the HTTP client process (gantry rounds). */
  clientSeconds?: number;
}

async function gantryRound(jobs: number): Promise<Round> {
  const server = await benchServer();
  try {
    const client = await startLoad({ url: `${server.url}/jobs`, count: jobs, concurrency: HTTP_CONCURRENCY, body: { contentType: 'application/json', text: JOB } });
    const done = jobsEnded(server, jobs);
    const meter = cpuMeter();
    const started = performance.now();
    const clientSeconds = await phase('throughput-gantry', jobs, async () => {
      client.go();
      const [load] = await Promise.all([client.done, done]);
      return load.cpuSeconds;
    });
    return { perSecond: jobs / ((performance.now() - started) / 1000), cpu: meter(), clientSeconds };
  } finally {
    await server.cleanup();
  }
}

async function baselineRound(jobs: number): Promise<Round> {
  const workRoot = mkdtempSync(join(tmpdir(), 'gantry-bench-base-'));
  const runtime = createProcessRuntime(processRuntimeOptions(config.runtime, join(workRoot, 'work')));
  await runtime.start();
  try {
    let next = 0;
    const meter = cpuMeter();
    const started = performance.now();
    await phase('throughput-baseline', jobs, () => Promise.all(
      Array.from({ length: SLOTS }, async () => {
        while (next < jobs) {
          const request: RunRequest = {
            taskId: `base${next++}`,
            attempt: 1,
            steps: [{ role: 'main', name: 'noop', run: 'true', env: {}, files: {} }],
            mounts: [],
            limits: {},
            network: false,
          };
          const outcome = await runtime.run(request, { onStarted: () => undefined, onLine: () => undefined }, new AbortController().signal);
          if (outcome.exitCode !== 0) throw new Error(`baseline run failed: ${JSON.stringify(outcome)}`);
        }
      }),
    ));
    return { perSecond: jobs / ((performance.now() - started) / 1000), cpu: meter() };
  } finally {
    await runtime.stop();
    rmSync(workRoot, { recursive: true, force: true });
  }
}

/** Where the CPU went, per job: this process (server, client, runtime), the launcher, the sandboxes, the whole machine. */
function describe(round: Round): string {
  const ms = (seconds: number): string => fmt((seconds * 1000) / JOBS, 2);
  const { cpu } = round;
  const client = round.clientSeconds === undefined ? '' : `, HTTP client ${ms(round.clientSeconds)} ms`;
  return `CPU per job: node ${ms(cpu.nodeSeconds)} ms${client}, launcher ${ms(cpu.launcherSeconds)} ms, sandboxes ${ms(cpu.sandboxSeconds)} ms, machine ${ms(cpu.machineSeconds)} ms (${fmt(cpu.machineSeconds / cpu.wallSeconds, 2)} cores busy)`;
}

const gantry: Round[] = [];
const baseline: Round[] = [];
console.log(`throughput: ${JOBS} jobs running \`true\`, ${ROUNDS} rounds, ${SLOTS} slots, ${HTTP_CONCURRENCY} concurrent HTTP submits`);
// A short round of each first, so neither side is measured with a cold JIT or page cache.
await baselineRound(WARMUP_JOBS);
await gantryRound(WARMUP_JOBS);
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate the order so drift on a noisy machine hits both sides alike.
  if (round % 2 === 1) {
    baseline.push(await baselineRound(JOBS));
    gantry.push(await gantryRound(JOBS));
  } else {
    gantry.push(await gantryRound(JOBS));
    baseline.push(await baselineRound(JOBS));
  }
  console.log(`  round ${round}: gantry ${fmt(gantry.at(-1)!.perSecond)} jobs/s, baseline ${fmt(baseline.at(-1)!.perSecond)} runs/s`);
  console.log(`    gantry   ${describe(gantry.at(-1)!)}`);
  console.log(`    baseline ${describe(baseline.at(-1)!)}`);
}
const rates = (rounds: Round[]): number[] => rounds.map((r) => r.perSecond);
const ratio = median(rates(gantry)) / median(rates(baseline));
// Each round measures both sides back to back, so the per-round ratio cancels most drift.
const pairedRatio = median(gantry.map((r, i) => r.perSecond / baseline[i]!.perSecond));
console.log(`gantry over HTTP      median ${fmt(median(rates(gantry)))} jobs/s`);
console.log(`direct sandbox loop   median ${fmt(median(rates(baseline)))} runs/s (same sandbox, ${SLOTS} at a time)`);
console.log(`ratio gantry/baseline ${fmt(ratio, 2)} of the medians; ${fmt(pairedRatio, 2)} median of the per-round ratios (target ≥ 0.80)`);
