import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Zeroboot's histogram buckets, in milliseconds. */
const BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000];

export type ExecOutcome = 'success' | 'error' | 'timeout';

/**
 * The exec metrics: Zeroboot's own names (so its dashboards keep working) and
 * Gantry's per-language ones, in the registry behind both /metrics and /v1/metrics.
 */
export class ExecMetrics {
  private readonly executions: Counter<'status'>;
  private readonly requests: Counter<'language' | 'outcome'>;
  private readonly rejected: Counter<'language' | 'reason'>;
  private readonly forkTotalUs: Counter;
  private readonly execTotalUs: Counter;
  private readonly forkMs: Histogram<'language'>;
  private readonly execMs: Histogram<'language'>;
  private readonly totalMs: Histogram<'language'>;
  readonly concurrent: Gauge;
  readonly poolSpares: Gauge<'language'>;
  readonly queued: Gauge<'language'>;

  constructor(registry: Registry, pools: { spares(language: string): number; queued(language: string): number; running(): number; languages: readonly string[] }) {
    const registers = [registry];
    this.executions = new Counter({ name: 'zeroboot_total_executions', help: 'Snippets run, by outcome.', labelNames: ['status'], registers });
    this.requests = new Counter({ name: 'gantry_exec_requests_total', help: 'Snippets run, by language and outcome.', labelNames: ['language', 'outcome'], registers });
    this.rejected = new Counter({ name: 'gantry_exec_rejected_total', help: 'Snippets refused before running: bad input, busy pools.', labelNames: ['language', 'reason'], registers });
    this.forkTotalUs = new Counter({ name: 'zeroboot_fork_time_microseconds_total', help: 'Time to hand snippets to sandboxes, summed.', registers });
    this.execTotalUs = new Counter({ name: 'zeroboot_exec_time_microseconds_total', help: 'Time snippets ran, summed.', registers });
    this.forkMs = new Histogram({ name: 'zeroboot_fork_time_milliseconds', help: 'Time to hand a snippet to a sandbox.', labelNames: ['language'], buckets: BUCKETS_MS, registers });
    this.execMs = new Histogram({ name: 'zeroboot_exec_time_milliseconds', help: 'Time a snippet ran.', labelNames: ['language'], buckets: BUCKETS_MS, registers });
    this.totalMs = new Histogram({ name: 'zeroboot_total_time_milliseconds', help: 'Time from a snippet accepted to its result.', labelNames: ['language'], buckets: BUCKETS_MS, registers });
    this.concurrent = new Gauge({ name: 'zeroboot_concurrent_forks', help: 'Snippets running now.', registers, collect: () => this.concurrent.set(pools.running()) });
    this.poolSpares = new Gauge({
      name: 'gantry_exec_pool_ready',
      help: 'Sandboxes prepared and waiting, by language.',
      labelNames: ['language'],
      registers,
      collect: () => {
        for (const language of pools.languages) this.poolSpares.set({ language }, pools.spares(language));
      },
    });
    this.queued = new Gauge({
      name: 'gantry_exec_queued',
      help: 'Snippets waiting for a sandbox, by language.',
      labelNames: ['language'],
      registers,
      collect: () => {
        for (const language of pools.languages) this.queued.set({ language }, pools.queued(language));
      },
    });
    // zeroboot_memory_usage_bytes: the server's resident memory, as Zeroboot reports its own.
    new Gauge({ name: 'zeroboot_memory_usage_bytes', help: 'Resident memory of the server process.', registers, collect() { this.set(process.memoryUsage().rss); } });
  }

  ran(language: string, outcome: ExecOutcome, timings: { forkMs: number; execMs: number; totalMs: number }): void {
    this.executions.inc({ status: outcome });
    this.requests.inc({ language, outcome });
    this.forkTotalUs.inc(Math.round(timings.forkMs * 1000));
    this.execTotalUs.inc(Math.round(timings.execMs * 1000));
    this.forkMs.observe({ language }, timings.forkMs);
    this.execMs.observe({ language }, timings.execMs);
    this.totalMs.observe({ language }, timings.totalMs);
  }

  refused(language: string, reason: string): void {
    this.rejected.inc({ language, reason });
  }
}
