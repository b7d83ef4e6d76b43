import { isGantryError } from '../core/errors.js';
import type { Assignment } from '../core/worker-protocol.js';
import type { Store } from '../store/open.js';
import { UnitOfWork } from '../store/unit-of-work.js';
import { Effects } from './effects.js';
import type { EventBus } from './event-bus.js';
import { Mutex } from './mutex.js';

export interface WriterHooks {
  /** Hands assignments to a node (its inbox). */
  deliver(nodeId: string, assignments: Assignment[]): void;
  /** Wakes the application scheduler. */
  wakeApps(): void;
  /** Sends a stop message to the node running a task. */
  cancelOnNode(nodeId: string, taskId: string, attempt: number): void;
  wakeScheduler(): void;
  /** Wakes the scheduler at a later time (epoch ms), when a retry's backoff ends. */
  wakeSchedulerAt(time: number): void;
}

/** PostgreSQL's deadlock and serialization failures: the transaction may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 8;

function retryable(error: unknown): boolean {
  if (isGantryError(error)) return error.code === 'conflict';
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs the engine's read-modify-write sections, each in one transaction through
 * a UnitOfWork (its changes written in a few statements before commit), and
 * carries out their effects only after commit. Sections about the same job (one
 * of `keys`) run one at a time; different jobs run side by side (on PostgreSQL,
 * on several connections). Sections that collide anyway (a claim and a cancel on
 * the same task, a subjob and its parent) see a guarded update fail or a
 * deadlock, and are run again from the start on fresh reads.
 */
export class Writer {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();
  private hooks: WriterHooks = { deliver: () => undefined, wakeApps: () => undefined, cancelOnNode: () => undefined, wakeScheduler: () => undefined, wakeSchedulerAt: () => undefined };

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  setHooks(hooks: WriterHooks): void {
    this.hooks = hooks;
  }

  async run<T>(section: (uow: UnitOfWork, fx: Effects) => Promise<T>, keys: string | readonly string[] = []): Promise<T> {
    // Locks are taken in sorted order, so two sections over overlapping jobs cannot wait on each other.
    const sorted = [...new Set(typeof keys === 'string' ? [keys] : keys)].sort();
    const { result, fx } = await this.withLocks(sorted, () => this.attempt(section));
    this.apply(fx);
    return result;
  }

  private async attempt<T>(section: (uow: UnitOfWork, fx: Effects) => Promise<T>): Promise<{ result: T; fx: Effects }> {
    for (let attempt = 1; ; attempt++) {
      const fx = new Effects();
      try {
        const result = await this.store.db.transaction().execute(async (trx) => {
          const uow = new UnitOfWork(trx, this.store.dialect);
          const value = await section(uow, fx);
          await uow.flush();
          return value;
        });
        return { result, fx };
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !retryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
      }
    }
  }

  private async withLocks<T>(keys: readonly string[], work: () => Promise<T>, from = 0): Promise<T> {
    if (from >= keys.length) return work();
    return this.withLock(keys[from]!, () => this.withLocks(keys, work, from + 1));
  }

  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(key);
    if (!lock) {
      lock = { mutex: new Mutex(), users: 0 };
      this.locks.set(key, lock);
    }
    lock.users++;
    try {
      return await lock.mutex.run(work);
    } finally {
      if (--lock.users === 0) this.locks.delete(key);
    }
  }

  /**
   * Runs a section that is one atomic statement on its own (a claim), without a
   * transaction around it — on PostgreSQL that saves two round trips — and carries
   * out its effects once it returns. It must not leave changes pending.
   */
  async runStatement<T>(section: (uow: UnitOfWork, fx: Effects) => Promise<T>): Promise<T> {
    const fx = new Effects();
    const uow = new UnitOfWork(this.store.db, this.store.dialect);
    const result = await section(uow, fx);
    if (uow.hasPendingChanges()) throw new Error('a single-statement section left changes to write');
    this.apply(fx);
    return result;
  }

  private apply(fx: Effects): void {
    this.bus.publish(fx.events);
    for (const { nodeId, assignment } of fx.deliveries) this.hooks.deliver(nodeId, [assignment]);
    for (const cancel of fx.cancels) this.hooks.cancelOnNode(cancel.nodeId, cancel.taskId, cancel.attempt);
    if (fx.wakeApps) this.hooks.wakeApps();
    if (fx.wakeScheduler) this.hooks.wakeScheduler();
    if (fx.wakeSchedulerAt !== undefined) this.hooks.wakeSchedulerAt(fx.wakeSchedulerAt);
  }
}
