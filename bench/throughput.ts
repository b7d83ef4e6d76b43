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
import { phase } from './lib/phase.js';
import { benchServer, jobsEnded } from './lib/server.js';
import { fmt, median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HTTP_CONCURRENCY = 16;
const config = loadConfig({ env: {}, flags: {} });
const SLOTS = config.worker.maxTasks;
const JOB = JSON.stringify({ name: 'bench', tasks: [{ name: 'noop', run: 'true' }] });

async function gantryRound(): Promise<number> {
  const server = await benchServer();
  try {
    const done = jobsEnded(server, JOBS);
    const started = performance.now();
    let next = 0;
    await phase('throughput-gantry', JOBS, async () => {
      await Promise.all(
        Array.from({ length: HTTP_CONCURRENCY }, async () => {
          while (next < JOBS) {
            next++;
            const response = await fetch(`${server.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JOB });
            if (response.status !== 200) throw new Error(`submit failed: ${response.status} ${await response.text()}`);
            await response.arrayBuffer();
          }
        }),
      );
      await done;
    });
    return JOBS / ((performance.now() - started) / 1000);
  } finally {
    await server.cleanup();
  }
}

async function baselineRound(): Promise<number> {
  const workRoot = mkdtempSync(join(tmpdir(), 'gantry-bench-base-'));
  const runtime = createProcessRuntime(processRuntimeOptions(config.runtime, join(workRoot, 'work')));
  await runtime.start();
  try {
    let next = 0;
    const started = performance.now();
    await phase('throughput-baseline', JOBS, () => Promise.all(
      Array.from({ length: SLOTS }, async () => {
        while (next < JOBS) {
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
    return JOBS / ((performance.now() - started) / 1000);
  } finally {
    await runtime.stop();
    rmSync(workRoot, { recursive: true, force: true });
  }
}

const gantry: number[] = [];
const baseline: number[] = [];
console.log(`throughput: ${JOBS} jobs running \`true\`, ${ROUNDS} rounds, ${SLOTS} slots, ${HTTP_CONCURRENCY} concurrent HTTP submits`);
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate the order so drift on a noisy machine hits both sides alike.
  if (round % 2 === 1) {
    baseline.push(await baselineRound());
    gantry.push(await gantryRound());
  } else {
    gantry.push(await gantryRound());
    baseline.push(await baselineRound());
  }
  console.log(`  round ${round}: gantry ${fmt(gantry.at(-1)!)} jobs/s, baseline ${fmt(baseline.at(-1)!)} runs/s`);
}
const ratio = median(gantry) / median(baseline);
// Each round measures both sides back to back, so the per-round ratio cancels most drift.
const pairedRatio = median(gantry.map((rate, i) => rate / baseline[i]!));
console.log(`gantry over HTTP      median ${fmt(median(gantry))} jobs/s`);
console.log(`direct sandbox loop   median ${fmt(median(baseline))} runs/s (same sandbox, ${SLOTS} at a time)`);
console.log(`ratio gantry/baseline ${fmt(ratio, 2)} of the medians; ${fmt(pairedRatio, 2)} median of the per-round ratios (target ≥ 0.80)`);
