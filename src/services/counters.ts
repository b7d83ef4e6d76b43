import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from './event-bus.js';

/**
 * Prometheus counters fed by the event bus: every job and task state change,
 * log volume and task run time. One registry per server, so tests and several
 * servers in one process do not share numbers.
 */
export class Counters {
  readonly registry = new Registry();
  private readonly jobTransitions = new Counter({
    name: 'gantry_job_transitions_total',
    help: 'Job state changes, by kind and new state.',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });
  private readonly taskTransitions = new Counter({
    name: 'gantry_task_transitions_total',
    help: 'Task state changes, by queue and new state.',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });
  private readonly logBytes = new Counter({
    name: 'gantry_task_log_bytes_total',
    help: 'Bytes of task log stored.',
    registers: [this.registry],
  });
  private readonly taskSeconds = new Histogram({
    name: 'gantry_task_run_seconds',
    help: 'Run time of finished task attempts, start to end.',
    labelNames: ['state'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800, 3600],
    registers: [this.registry],
  });
  readonly nodesUp = new Gauge({ name: 'gantry_nodes_up', help: 'Worker nodes up.', registers: [this.registry] });
  private unsubscribe: (() => void) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gantry_process_' });
  }

  start(bus: EventBus): void {
    this.unsubscribe = bus.subscribe((event) => {
      switch (event.type) {
        case 'job.state':
          this.jobTransitions.inc({ kind: event.job.kind, state: event.to });
          break;
        case 'task.state':
          this.taskTransitions.inc({ queue: event.task.queue, state: event.to });
          if (event.task.startedAt !== null && (event.to === 'completed' || event.to === 'failed' || event.to === 'cancelled')) {
            this.taskSeconds.observe({ state: event.to }, Math.max(0, Date.now() - event.task.startedAt) / 1000);
          }
          break;
        case 'task.log':
          this.logBytes.inc(Buffer.byteLength(event.part.contents));
          break;
        default:
          break;
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
