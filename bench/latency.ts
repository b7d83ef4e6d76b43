/**
 * Latency: on an idle server, submit one job at a time (running `true`) and time
 * submit → task started (the task's `running` event on the core's bus). Baseline:
 * a bare HTTP round trip to the same server (GET /health). Target p50 ≤ 5 ms.
 */
import { benchServer } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const WARMUP = 20;
const JOB = JSON.stringify({ name: 'latency', tasks: [{ name: 'noop', run: 'true' }] });

const server = await benchServer();
try {
  const waitStarted = (): Promise<number> =>
    new Promise((resolve) => {
      const stop = server.core.bus.subscribe((event) => {
        if (event.type === 'task.state' && event.to === 'running') {
          stop();
          resolve(performance.now());
        }
      });
    });
  const waitEnded = (): Promise<void> =>
    new Promise((resolve) => {
      const stop = server.core.bus.subscribe((event) => {
        if (event.type === 'job.state' && event.to === 'completed') {
          stop();
          resolve();
        }
      });
    });

  const latencies: number[] = [];
  for (let i = 0; i < WARMUP + JOBS; i++) {
    const started = waitStarted();
    const ended = waitEnded();
    const t0 = performance.now();
    const response = await fetch(`${server.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JOB });
    await response.arrayBuffer();
    const t1 = await started;
    await ended; // idle again before the next one
    if (i >= WARMUP) latencies.push(t1 - t0);
  }

  const roundTrips: number[] = [];
  for (let i = 0; i < WARMUP + JOBS; i++) {
    const t0 = performance.now();
    const response = await fetch(`${server.url}/health`);
    await response.arrayBuffer();
    if (i >= WARMUP) roundTrips.push(performance.now() - t0);
  }

  console.log(`latency: submit → task started, ${JOBS} jobs one at a time on an idle server`);
  console.log(`submit → started   p50 ${fmt(median(latencies), 2)} ms   p95 ${fmt(percentile(latencies, 95), 2)} ms   p99 ${fmt(percentile(latencies, 99), 2)} ms   (target p50 ≤ 5 ms)`);
  console.log(`HTTP round trip    p50 ${fmt(median(roundTrips), 2)} ms   p95 ${fmt(percentile(roundTrips, 95), 2)} ms   p99 ${fmt(percentile(roundTrips, 99), 2)} ms   (GET /health, baseline)`);
  console.log(`ratio p50 submit→started / round trip ${fmt(median(latencies) / median(roundTrips), 2)}`);
} finally {
  await server.cleanup();
}
