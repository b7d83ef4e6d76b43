import { hostname } from 'node:os';
import type { Assignment, NodeRegistration, WorkerLink } from '../core/worker-protocol.js';
import type { Runtime } from '../runtime/runtime.js';
import { CpuSampler } from './cpu-sampler.js';
import { ReportBuffer } from './report-buffer.js';

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WorkerOptions {
  link: WorkerLink;
  runtime: Runtime;
  registration: Omit<NodeRegistration, 'hostname'> & { hostname?: string };
  /** Milliseconds between heartbeats. */
  heartbeatMs: number;
  /** Milliseconds between samples of what each running task uses (cpu, memory); 0: none. */
  sampleMs?: number;
  /** Report batches in flight at once; more than 1 only for links that keep call order (in-process). */
  reportConcurrency?: number;
  logger: WorkerLogger;
}

interface RunningTask {
  assignment: Assignment;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * A node agent: registers, waits for assignments, runs each through the runtime,
 * and reports start, log lines, progress and outcome. It knows the server only
 * through `WorkerLink`, so the same code runs in-process or on another machine.
 */
export class Worker {
  private nodeId: string | undefined;
  private readonly running = new Map<string, RunningTask>();
  private readonly receiving = new AbortController();
  private loop: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  /** Cpu seconds of each attempt at the last sample, and when it was taken. */
  private readonly lastCpu = new Map<string, { cpuSeconds: number; at: number }>();
  private readonly cpu = new CpuSampler();
  private readonly reports: ReportBuffer;

  constructor(private readonly options: WorkerOptions) {
    this.reports = new ReportBuffer(
      (batch) => this.options.link.report(this.requireNodeId(), batch),
      (error) => this.options.logger.warn({ err: error }, 'report failed; retrying'),
      options.reportConcurrency ?? 1,
    );
  }

  get id(): string | undefined {
    return this.nodeId;
  }

  async start(): Promise<void> {
    const { registration } = this.options;
    const { nodeId } = await this.options.link.register({ ...registration, hostname: registration.hostname ?? hostname() });
    this.nodeId = nodeId;
    this.heartbeatTimer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    const sampleMs = this.options.sampleMs ?? 0;
    if (sampleMs > 0 && this.options.runtime.usage) {
      this.sampleTimer = setInterval(() => this.sampleUsage(), sampleMs);
      this.sampleTimer.unref();
    }
    this.loop = this.receiveLoop();
  }

  /**
   * Stops taking work; gives running tasks `graceMs` to finish, then stops them
   * (the server queues them again), sends every report and leaves.
   */
  async stop(graceMs: number): Promise<void> {
    this.receiving.abort();
    await this.loop;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sampleTimer);
    const all = Promise.all([...this.running.values()].map((task) => task.done));
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
    if ((await Promise.race([all.then(() => 'done' as const), timer])) === 'late') {
      for (const task of this.running.values()) task.controller.abort();
      await all;
    }
    await this.reports.flush();
    if (this.nodeId) await this.options.link.deregister(this.nodeId).catch(() => undefined);
  }

  private requireNodeId(): string {
    if (!this.nodeId) throw new Error('worker is not registered');
    return this.nodeId;
  }

  private async beat(): Promise<void> {
    try {
      await this.options.link.heartbeat(this.requireNodeId(), {
        cpuPercent: this.cpu.sample(),
        running: [...this.running.values()].map((t) => ({ taskId: t.assignment.taskId, attempt: t.assignment.attempt })),
      });
    } catch (error) {
      this.options.logger.warn({ err: error, nodeId: this.nodeId }, 'heartbeat failed');
    }
  }

  /** Reports each running task's cpu load since the last sample (cores busy) and its memory now. */
  private sampleUsage(): void {
    const now = Date.now();
    const seen = new Set<string>();
    for (const usage of this.options.runtime.usage?.() ?? []) {
      const running = this.running.get(usage.taskId);
      if (!running || running.assignment.attempt !== usage.attempt) continue;
      const key = `${usage.taskId}:${usage.attempt}`;
      seen.add(key);
      const last = this.lastCpu.get(key);
      this.lastCpu.set(key, { cpuSeconds: usage.cpuSeconds, at: now });
      if (!last || now <= last.at) continue;
      const cpuLoad = Math.max(0, (usage.cpuSeconds - last.cpuSeconds) / ((now - last.at) / 1000));
      this.reports.add({ type: 'usage', taskId: usage.taskId, jobId: running.assignment.jobId, attempt: usage.attempt, cpuLoad, memoryBytes: usage.memoryBytes, at: now });
    }
    for (const key of this.lastCpu.keys()) if (!seen.has(key)) this.lastCpu.delete(key);
  }

  private async receiveLoop(): Promise<void> {
    const signal = this.receiving.signal;
    while (!signal.aborted) {
      try {
        const messages = await this.options.link.receive(this.requireNodeId(), {
          max: this.options.registration.maxTasks,
          waitMs: 30_000,
          signal,
        });
        for (const message of messages) {
          if (message.type === 'run') this.execute(message.assignment);
          else this.running.get(message.taskId)?.controller.abort();
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger.error({ err: error, nodeId: this.nodeId }, 'receiving assignments failed');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private execute(assignment: Assignment): void {
    const { taskId, jobId, attempt } = assignment;
    const controller = new AbortController();
    const done = this.options.runtime
      .run(
        { ...assignment.spec, taskId, attempt },
        {
          onStarted: ({ backendId, endpoints }) => this.reports.add({ type: 'started', taskId, jobId, attempt, backendId, endpoints, at: Date.now() }),
          onLine: (_stream, line) => this.reports.add({ type: 'log', taskId, jobId, attempt, contents: `${line}\n`, at: Date.now() }),
          onProgress: (percent) => this.reports.add({ type: 'progress', taskId, jobId, attempt, percent, at: Date.now() }),
        },
        controller.signal,
      )
      .catch((error: unknown) => ({
        end: 'error' as const,
        exitCode: null,
        error: `runtime failed: ${error instanceof Error ? error.message : String(error)}`,
      }))
      .then((outcome) => {
        this.reports.add({ type: 'finished', taskId, jobId, attempt, outcome, at: Date.now() });
        this.running.delete(taskId);
      });
    this.running.set(taskId, { assignment, controller, done });
  }
}
