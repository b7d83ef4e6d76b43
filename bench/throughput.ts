/**
 * Throughput: N single-task jobs that run `true`, POSTed over HTTP (JSON, a
 * bounded number at a time) to a real server (SQLite in a temp data dir, the
 * sandboxed process runtime, worker.maxTasks at its default), timed until every
 * job is COMPLETED on the core's bus.
 *
 * Baseline, in the same run: a plain loop that spawns the runtime's own sandbox
 * command (`hostCommand`) directly, with the same concurrency as the worker's
 * slots (bench/lib/sandbox-loop.ts). Judged by gantry ÷ baseline (target ≥ 0.8).
 * For context it also prints the same loop run sequentially (on fewer runs) and
 * the process runtime driven directly (no HTTP, store or scheduler).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { createProcessRuntime, processRuntimeOptions } from '../src/runtime/process/index.js';
import type { RunRequest } from '../src/runtime/runtime.js';
import { runHelper } from './lib/child.js';
import { benchServer, jobsEnded } from './lib/server.js';
import { fmt, median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 50;
/** The sequential loop is slow; it runs on a tenth of the jobs. */
const SEQUENTIAL_RUNS = Math.max(50, Math.round(JOBS / 10));
const HTTP_CONCURRENCY = 16;
const config = loadConfig({ env: {}, flags: {} });
const SLOTS = config.worker.maxTasks;
const JOB = JSON.stringify({ name: 'bench', tasks: [{ name: 'noop', run: 'true' }] });

/** Submits `count` jobs over HTTP, HTTP_CONCURRENCY at a time, and waits until all have ended. */
async function submitAndWait(server: Awaited<ReturnType<typeof benchServer>>, count: number): Promise<void> {
  const ended = jobsEnded(server, count);
  let next = 0;
  await Promise.all(
    Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (next < count) {
        next++;
        const response = await fetch(`${server.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JOB });
        if (response.status !== 200) throw new Error(`submit failed: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
  const { completed } = await ended;
  if (completed !== count) throw new Error(`${count - completed} of ${count} jobs did not complete`);
}

async function gantryRound(): Promise<number> {
  const server = await benchServer();
  try {
    // A fresh server per round (same database size each time), warmed up first.
    await submitAndWait(server, WARMUP);
    const started = performance.now();
    await submitAndWait(server, JOBS);
    return JOBS / ((performance.now() - started) / 1000);
  } finally {
    await server.cleanup();
  }
}

async function sandboxLoop(runs: number, concurrency: number): Promise<number> {
  const result = await runHelper<{ runsPerSecond: number }>('sandbox-loop', [runs, concurrency]);
  return result.runsPerSecond;
}

/** The process runtime itself, SLOTS at a time: work areas, cgroups, launcher, no core. */
async function runtimeRound(): Promise<number> {
  const workRoot = mkdtempSync(join(tmpdir(), 'gantry-bench-runtime-'));
  const runtime = createProcessRuntime(processRuntimeOptions(config.runtime, join(workRoot, 'work')));
  await runtime.start();
  try {
    let next = 0;
    const runAll = async (count: number): Promise<void> => {
      const end = next + count;
      await Promise.all(
        Array.from({ length: SLOTS }, async () => {
          while (next < end) {
            const request: RunRequest = {
              taskId: `base${next++}`,
              attempt: 1,
              steps: [{ role: 'main', name: 'noop', run: 'true', env: {}, files: {} }],
              mounts: [],
              limits: {},
              network: false,
            };
            const outcome = await runtime.run(request, { onStarted: () => undefined, onLine: () => undefined }, new AbortController().signal);
            if (outcome.exitCode !== 0) throw new Error(`runtime run failed: ${JSON.stringify(outcome)}`);
          }
        }),
      );
    };
    await runAll(WARMUP);
    const started = performance.now();
    await runAll(JOBS);
    return JOBS / ((performance.now() - started) / 1000);
  } finally {
    await runtime.stop();
    rmSync(workRoot, { recursive: true, force: true });
  }
}

const gantry: number[] = [];
const baseline: number[] = [];
const sequential: number[] = [];
const runtimeOnly: number[] = [];
console.log(`throughput: ${JOBS} jobs running \`true\` per round, ${ROUNDS} rounds (after ${WARMUP} warm-up jobs each)`);
console.log(`  gantry: HTTP POST /jobs, ${HTTP_CONCURRENCY} requests in flight, SQLite, process runtime, worker.maxTasks ${SLOTS} (default)`);
console.log(`  baseline: the runtime's sandbox command spawned directly in a plain loop, ${SLOTS} at a time (same concurrency as the worker)`);
await sandboxLoop(WARMUP, SLOTS);
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate the order so drift on a noisy machine hits each side alike.
  const steps: Array<() => Promise<void>> = [
    async () => void gantry.push(await gantryRound()),
    async () => void baseline.push(await sandboxLoop(JOBS, SLOTS)),
    async () => void runtimeOnly.push(await runtimeRound()),
    async () => void sequential.push(await sandboxLoop(SEQUENTIAL_RUNS, 1)),
  ];
  for (const step of round % 2 === 1 ? steps : steps.reverse()) await step();
  console.log(
    `  round ${round}: gantry ${fmt(gantry.at(-1)!)} jobs/s, baseline ×${SLOTS} ${fmt(baseline.at(-1)!)} runs/s` +
      ` (ratio ${fmt(gantry.at(-1)! / baseline.at(-1)!, 2)}), runtime ×${SLOTS} ${fmt(runtimeOnly.at(-1)!)} runs/s, sequential ${fmt(sequential.at(-1)!)} runs/s`,
  );
}
console.log(`gantry over HTTP                  median ${fmt(median(gantry))} jobs/s`);
console.log(`baseline: direct sandbox loop ×${SLOTS}  median ${fmt(median(baseline))} runs/s`);
console.log(`  process runtime alone ×${SLOTS}      median ${fmt(median(runtimeOnly))} runs/s`);
console.log(`  direct sandbox loop ×1          median ${fmt(median(sequential))} runs/s (${SEQUENTIAL_RUNS} runs per round)`);
console.log(`ratio gantry/baseline(×${SLOTS})        ${fmt(median(gantry) / median(baseline), 2)} (target ≥ 0.80)`);
console.log(`ratio gantry/baseline(×1)         ${fmt(median(gantry) / median(sequential), 2)}`);
