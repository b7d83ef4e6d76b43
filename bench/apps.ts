/**
 * Multi-service applications (Zoe's executions) on a real server (SQLite,
 * sandboxed process runtime, each execution in its own private network).
 *
 * 1. Idle latency: executions of a 3-service ZApp sent one at a time (POST
 *    /api/0.7/execution); submit → all essential services active, i.e. from just
 *    before the POST to the execution's `running` event on the core's bus.
 *    Baseline, interleaved: the same runtime starting the same three services of
 *    one group directly (their network included), and three plain sandboxes.
 * 2. Throughput: 200 executions of short-lived services, 16 submitted at a time;
 *    executions/s from the first submit to the last end, and submit → active
 *    under that load.
 * 3. Decisions: the application scheduler's time to decide with 1,000
 *    executions queued behind one that holds the node, on the live server;
 *    and the placement alone for 1,000 executions that all fit on 64 nodes, per
 *    execution.
 *
 * Target: submit → active p50 ≤ 50 ms on an idle server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import type { RunGroup } from '../src/core/run-spec.js';
import { createProcessRuntime, processRuntimeOptions } from '../src/runtime/process/index.js';
import type { RunRequest, Runtime } from '../src/runtime/runtime.js';
import { planPlacement, type PlacementInput } from '../src/scheduler/app-placement.js';
import { httpClient } from './lib/http.js';
import { benchServer } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

const IDLE_RUNS = Number(process.env.BENCH_IDLE ?? 60);
const WARMUP = 5;
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 200);
const CONCURRENCY = 16;
const QUEUED = 1_000;
const PASSWORD = 'bench-password';
const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };

function zappOf(command: string, cores: number): Record<string, unknown> {
  const service = (name: string, monitor: boolean) => ({
    name,
    image: 'busybox',
    command: monitor ? command : 'exec sleep 30',
    environment: [],
    ports: [],
    volumes: [],
    monitor,
    startup_order: 0,
    essential_count: 1,
    total_count: 1,
    resources: { memory: { min: null, max: null }, cores: { min: cores, max: null } },
  });
  return { name: 'bench', version: 3, will_end: true, size: 1, services: [service('master', true), service('worker-a', false), service('worker-b', false)] };
}

const line = (label: string, values: number[], unit = 'ms'): string =>
  `${label.padEnd(44)} p50 ${fmt(median(values), 2).padStart(7)} ${unit}   p99 ${fmt(percentile(values, 99), 2).padStart(7)} ${unit}`;

const server = await benchServer({ auth: { adminPassword: PASSWORD, anonymous: {} }, apps: { tickMs: 50 } });
const client = httpClient(server.url);
const workRoot = mkdtempSync(join(tmpdir(), 'gantry-bench-apps-'));
const config = loadConfig({ env: {}, flags: {} });
const runtime: Runtime = createProcessRuntime(processRuntimeOptions(config.runtime, join(workRoot, 'work')));
await runtime.start();

/** Times of each execution's events, by its job id, on the server's own clock. */
const marks = new Map<string, { running?: number; ended?: number }>();
const waiters = new Map<string, () => void>();
server.core.bus.subscribe((event) => {
  if (event.type !== 'job.state' || event.job.kind !== 'app') return;
  const mark = marks.get(event.job.id) ?? {};
  marks.set(event.job.id, mark);
  if (event.to === 'running') mark.running ??= performance.now();
  if (event.to === 'completed' || event.to === 'failed' || event.to === 'cancelled') {
    mark.ended ??= performance.now();
    waiters.get(event.job.id)?.();
  }
});
const jobIdOf = async (numId: number): Promise<string> =>
  (await server.core.store.db.selectFrom('jobs').select('id').where('num_id', '=', numId).executeTakeFirstOrThrow()).id;

async function submit(body: string): Promise<{ id: string; sentAt: number }> {
  const sentAt = performance.now();
  const answer = await client.send('POST', '/api/0.7/execution', { contentType: 'application/json', text: body }, AUTH);
  if (answer.status !== 201) throw new Error(`start failed: ${answer.status} ${answer.text}`);
  return { id: await jobIdOf((JSON.parse(answer.text) as { execution_id: number }).execution_id), sentAt };
}

function ended(id: string): Promise<void> {
  if (marks.get(id)?.ended !== undefined) return Promise.resolve();
  return new Promise((resolve) => waiters.set(id, resolve));
}

/** The floor: the runtime starting the three services of one group (or three plain sandboxes) side by side, until all three run. */
async function directStart(withGroup: boolean, round: number): Promise<number> {
  const controllers = [0, 1, 2].map(() => new AbortController());
  const hosts = [0, 1, 2].map((i) => ({ address: `10.77.0.${i + 2}`, names: [`s${i}`] }));
  const t0 = performance.now();
  let started = 0;
  let allStarted!: () => void;
  const up = new Promise<void>((resolve) => (allStarted = resolve));
  const runs = [0, 1, 2].map((i) => {
    const group: RunGroup = { id: `direct-${round}`, hostname: `s${i}`, address: hosts[i]!.address, hosts, expose: [] };
    const request: RunRequest = {
      taskId: `direct-${round}-${i}`,
      attempt: 1,
      steps: [{ role: 'main', name: `s${i}`, run: 'exec sleep 30', env: {}, files: {} }],
      mounts: [],
      limits: { cpus: undefined },
      network: false,
      ...(withGroup ? { group } : {}),
    };
    return runtime.run(request, { onStarted: () => ++started === 3 && allStarted(), onLine: () => undefined }, controllers[i]!.signal);
  });
  await up;
  const took = performance.now() - t0;
  for (const controller of controllers) controller.abort();
  await Promise.all(runs);
  return took;
}

try {
  // ---- 1. idle latency ----------------------------------------------------
  const idle = JSON.stringify({ application: zappOf('exec sleep 0.05', 0.01), name: 'idle' });
  const active: number[] = [];
  const direct: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < WARMUP + IDLE_RUNS; i++) {
    const { id, sentAt } = await submit(idle);
    await ended(id);
    const running = marks.get(id)?.running;
    if (running === undefined) throw new Error('an execution ended without running');
    await sleep(100);
    const groupTook = await directStart(true, i);
    await sleep(100);
    const plainTook = await directStart(false, i);
    await sleep(100);
    if (i < WARMUP) continue;
    active.push(running - sentAt);
    direct.push(groupTook);
    plain.push(plainTook);
  }
  console.log(`apps: idle server, ${IDLE_RUNS} executions of 3 services one at a time (after ${WARMUP} warm-up)`);
  console.log(`${line('submit → all essential services active', active)}   (target p50 ≤ 50 ms)`);
  console.log(line('baseline: runtime starts 3 group members', direct));
  console.log(line('baseline: runtime starts 3 plain sandboxes', plain));
  console.log(`ratio p50 gantry / group members started directly ${fmt(median(active) / median(direct), 2)}; Gantry's own p50 overhead ${fmt(median(active) - median(direct), 2)} ms`);

  // ---- 2. throughput --------------------------------------------------------
  const short = JSON.stringify({ application: zappOf('exec sleep 0.2', 0.01), name: 'short' });
  const loaded: number[] = [];
  const ids: Array<{ id: string; sentAt: number }> = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const own = httpClient(server.url);
      try {
        while (next < EXECUTIONS) {
          next++;
          const sentAt = performance.now();
          const answer = await own.send('POST', '/api/0.7/execution', { contentType: 'application/json', text: short }, AUTH);
          if (answer.status !== 201) throw new Error(`start failed: ${answer.status} ${answer.text}`);
          const id = await jobIdOf((JSON.parse(answer.text) as { execution_id: number }).execution_id);
          ids.push({ id, sentAt });
          await ended(id);
        }
      } finally {
        own.close();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const { id, sentAt } of ids) {
    const mark = marks.get(id);
    if (mark?.running !== undefined) loaded.push(mark.running - sentAt);
  }
  console.log(`\nthroughput: ${EXECUTIONS} executions of 3 short-lived services, ${CONCURRENCY} in flight`);
  console.log(`  ${fmt(EXECUTIONS / seconds, 1)} executions/s (${fmt(seconds, 2)} s), ${fmt((3 * EXECUTIONS) / seconds, 1)} services/s`);
  console.log(line('  submit → all essential services active', loaded));

  // ---- 3. decisions ----------------------------------------------------------
  const cores = (await server.core.store.db.selectFrom('nodes').select('capacity_cpus').where('status', '=', 'UP').executeTakeFirstOrThrow()).capacity_cpus;
  const blocker = await submit(JSON.stringify({ application: zappOf('exec sleep 600', cores * 0.3), name: 'blocker' }));
  while (marks.get(blocker.id)?.running === undefined) await sleep(10);
  const queuedBody = JSON.stringify({ application: zappOf('exec sleep 1', cores * 0.2), name: 'queued' });
  for (let i = 0; i < QUEUED; i++) await client.send('POST', '/api/0.7/execution', { contentType: 'application/json', text: queuedBody }, AUTH);
  const decisions: number[] = [];
  const passes: number[] = [];
  let lastPass = -1;
  while (decisions.length < 30) {
    const { scheduler } = await server.core.apps.statistics();
    if (scheduler.passes !== lastPass && scheduler.lastQueueLength >= QUEUED) {
      decisions.push(scheduler.lastDecisionMs);
      passes.push(scheduler.lastPassMs);
      lastPass = scheduler.passes;
    }
    await sleep(20);
  }
  console.log(`\nscheduler with ${QUEUED} executions queued behind one that holds the node (live server, one pass every 50 ms)`);
  console.log(line('  deciding (placement of the whole queue)', decisions));
  console.log(line('  whole pass (store reads included)', passes));

  const nodes = Array.from({ length: 64 }, (_, i) => ({ id: `n${i}`, cores: 64, memoryBytes: 256 * 1024 ** 3 }));
  const input: PlacementInput = {
    nodes,
    placed: [],
    queued: Array.from({ length: QUEUED }, (_, i) => ({ jobId: `j${i}`, jobOrder: i, size: i % 7, essential: { cores: 3, memoryBytes: 3 * 1024 ** 3 } })),
    waiting: [],
    policy: 'FIFO',
  };
  const perExecution: number[] = [];
  for (let round = 0; round < 50; round++) {
    const start = performance.now();
    const plan = planPlacement(input);
    perExecution.push(((performance.now() - start) * 1000) / plan.admit.length);
  }
  console.log(line(`  placement alone, ${QUEUED} that fit on 64 nodes, per execution`, perExecution, 'µs'));
} finally {
  client.close();
  await runtime.stop();
  rmSync(workRoot, { recursive: true, force: true });
  await server.cleanup();
}
