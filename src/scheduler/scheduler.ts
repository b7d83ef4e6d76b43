import type { Assignment } from '../core/worker-protocol.js';

/** Where the scheduler gets runnable tasks from: an atomic claim in the store. */
export interface TaskSource {
  /** Moves up to `limit` runnable tasks of `queues` to the node and returns their assignments. */
  claim(nodeId: string, queues: readonly string[], limit: number): Promise<Assignment[]>;
  /** Earliest time a not-yet-runnable task (retry backoff) of `queues` becomes runnable; asked when a node joins. */
  nextRunAfter(queues: readonly string[]): Promise<number | undefined>;
}

export interface SchedulerNode {
  nodeId: string;
  /** Shared queues plus the node's private one. */
  queues: string[];
  maxTasks: number;
  /** Tasks the node holds now (assigned and not yet finished), as `taskId:attempt`. */
  held: Set<string>;
}

export interface SchedulerOptions {
  source: TaskSource;
  /** Hands assignments to a node (its inbox). */
  deliver(nodeId: string, assignments: Assignment[]): void;
  /** Milliseconds between passes when nothing wakes the scheduler. */
  tickMs: number;
  /** Most tasks claimed for one node in one statement. */
  claimBatch?: number;
  onError(error: unknown): void;
}

/**
 * Places runnable tasks on nodes with free slots that serve the task's queue.
 * The claim orders by priority, then age. Woken by events (submit, finish, node
 * join) and by a tick; passes never overlap: a wake during a pass runs one more.
 */
export class Scheduler {
  private readonly nodes = new Map<string, SchedulerNode>();
  private running = false;
  private again = false;
  private wakePending = false;
  private stopped = true;
  private tick: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt: number | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick = setInterval(() => this.wake(), this.options.tickMs);
    this.tick.unref();
    this.wake();
  }

  /** Stops placing tasks; resolves when the pass under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tick);
    clearTimeout(this.retryTimer);
    this.retryAt = undefined;
    await this.idle;
  }

  addNode(node: Omit<SchedulerNode, 'held'>): void {
    this.nodes.set(node.nodeId, { ...node, held: new Set() });
    this.wake();
    // Tasks of its queues may be waiting out a retry backoff from before it joined (or before a restart).
    this.options.source.nextRunAfter(node.queues).then(
      (next) => {
        if (next !== undefined) this.wakeAt(next);
      },
      (error: unknown) => this.options.onError(error),
    );
  }

  removeNode(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  hasNode(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  /**
   * A node finished these task attempts: their slots are free again. Idempotent, so
   * a report applied twice (a retried batch) frees a slot once.
   */
  release(nodeId: string, attempts: ReadonlyArray<{ taskId: string; attempt: number }>): void {
    const node = this.nodes.get(nodeId);
    if (!node) return;
    for (const { taskId, attempt } of attempts) node.held.delete(`${taskId}:${attempt}`);
    this.wake();
  }

  /**
   * Asks for a pass. Wakes in one turn of the event loop (a burst of submits, a
   * batch of finished tasks) share one pass, and so one claim per node.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      if (this.stopped) return;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = true;
      this.idle = this.passLoop().finally(() => {
        this.running = false;
      });
    });
  }

  /**
   * Wakes the scheduler at `time` (a retry's backoff ending), sooner than the tick
   * would. Only the earliest such time is kept; the passes in between (and the
   * tick) find every task that became runnable meanwhile.
   */
  wakeAt(time: number): void {
    if (this.stopped) return;
    const delay = time - Date.now();
    if (delay <= 0) {
      this.wake();
      return;
    }
    if (delay >= this.options.tickMs || (this.retryAt !== undefined && this.retryAt <= time)) return;
    clearTimeout(this.retryTimer);
    this.retryAt = time;
    this.retryTimer = setTimeout(() => {
      this.retryAt = undefined;
      this.wake();
    }, delay);
    this.retryTimer.unref();
  }

  private async passLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (error) {
      this.options.onError(error);
    }
  }

  private async pass(): Promise<void> {
    const batch = this.options.claimBatch ?? 64;
    let placed = true;
    while (placed && !this.stopped) {
      placed = false;
      const candidates = [...this.nodes.values()]
        .filter((node) => node.held.size < node.maxTasks)
        .sort((a, b) => b.maxTasks - b.held.size - (a.maxTasks - a.held.size));
      for (const node of candidates) {
        if (this.stopped) return;
        const free = node.maxTasks - node.held.size;
        const assignments = await this.options.source.claim(node.nodeId, node.queues, Math.min(free, batch));
        if (assignments.length === 0) continue;
        if (!this.nodes.has(node.nodeId)) continue;
        for (const assignment of assignments) node.held.add(`${assignment.taskId}:${assignment.attempt}`);
        this.options.deliver(node.nodeId, assignments);
        placed = true;
      }
    }
  }
}
