/**
 * Latency: on an idle server (SQLite, sandboxed process runtime), submit one job
 * at a time (POST /jobs, JSON, running `true`) and time submit → task started:
 * from just before the POST to the task's `task.state` event with `to: 'running'`
 * on the core's bus, in the same process and on the same clock. Each job ends,
 * and the server is left alone for a moment, before the next is sent.
 *
 * Baseline, interleaved with the jobs so noise hits both alike: a bare HTTP round
 * trip to the same Fastify server (GET /health), over the same keep-alive
 * connection. Target p50 ≤ 5 ms.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpClient } from './lib/http.js';
import { benchServer } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const WARMUP = 30;
/** Quiet time between jobs, so background work of the last one (clean-up, spares) is over. */
const IDLE_MS = 20;
const BLOCKS = 5;
const JOB = JSON.stringify({ name: 'latency', tasks: [{ name: 'noop', run: 'true' }] });

interface Sample {
  /** POST → response read: parse, submit transaction, reply. */
  response: number;
  /** POST → `scheduled` (claimed for the worker). */
  scheduled: number;
  /** POST → `running` (the sandbox process exists). */
  running: number;
  /** GET /health round trip, taken just before. */
  health: number;
}

const server = await benchServer();
const client = httpClient(server.url);
try {
  // One listener for the whole run: the events of the one job in flight.
  let marks: { scheduled?: number; running?: number; ended?: () => void } = {};
  server.core.bus.subscribe((event) => {
    const now = performance.now();
    if (event.type === 'task.state' && event.to === 'scheduled') marks.scheduled ??= now;
    else if (event.type === 'task.state' && event.to === 'running') marks.running ??= now;
    else if (event.type === 'job.state' && (event.to === 'completed' || event.to === 'failed')) marks.ended?.();
  });

  const samples: Sample[] = [];
  for (let i = 0; i < WARMUP + JOBS; i++) {
    const h0 = performance.now();
    await client.send('GET', '/health');
    const health1 = performance.now();
    await sleep(IDLE_MS);

    const ended = new Promise<void>((resolve) => (marks = { ended: resolve }));
    const t0 = performance.now();
    const response = await client.send('POST', '/jobs', { contentType: 'application/json', text: JOB });
    const t1 = performance.now();
    if (response.status !== 200) throw new Error(`submit failed: ${response.status}`);
    await ended;
    if (marks.running === undefined || marks.scheduled === undefined) throw new Error('the task ended without a running event');
    if (i >= WARMUP) samples.push({ response: t1 - t0, scheduled: marks.scheduled - t0, running: marks.running - t0, health: health1 - h0 });
    await sleep(IDLE_MS);
  }

  const line = (label: string, values: number[]): string =>
    `${label.padEnd(30)} p50 ${fmt(median(values), 2).padStart(6)} ms   p95 ${fmt(percentile(values, 95), 2).padStart(6)} ms   p99 ${fmt(percentile(values, 99), 2).padStart(6)} ms`;
  const running = samples.map((s) => s.running);
  const health = samples.map((s) => s.health);
  const size = Math.floor(samples.length / BLOCKS);
  const blockMedians = Array.from({ length: BLOCKS }, (_, b) => median(running.slice(b * size, (b + 1) * size)));
  console.log(`latency: ${JOBS} jobs (after ${WARMUP} warm-up), one at a time on an idle server, ${IDLE_MS} ms quiet between`);
  console.log(`${line('submit → task running', running)}   (target p50 ≤ 5 ms)`);
  console.log(`  p50 of each block of ${size}: ${blockMedians.map((m) => fmt(m, 2)).join(', ')} ms`);
  console.log(line('  submit → response read', samples.map((s) => s.response)));
  console.log(line('  submit → task scheduled', samples.map((s) => s.scheduled)));
  console.log(line('  scheduled → running', samples.map((s) => s.running - s.scheduled)));
  console.log(`${line('baseline: GET /health round trip', health)}`);
  console.log(`ratio p50 submit→running / round trip ${fmt(median(running) / median(health), 1)}; Gantry's own p50 overhead ${fmt(median(running) - median(health), 2)} ms`);
} finally {
  client.close();
  await server.cleanup();
}
