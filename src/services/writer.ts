import type { Db } from '../store/dialect.js';
import type { Store } from '../store/open.js';
import { Effects } from './effects.js';
import type { EventBus } from './event-bus.js';
import { Mutex } from './mutex.js';

export interface WriterHooks {
  /** Sends a stop message to the node running a task. */
  cancelOnNode(nodeId: string, taskId: string, attempt: number): void;
  wakeScheduler(): void;
}

/**
 * Runs the engine's read-modify-write sections one at a time, each in one
 * transaction, and carries out their effects only after commit. One server runs
 * the engine (see docs/architecture.md), so a process-wide mutex is enough.
 */
export class Writer {
  private readonly mutex = new Mutex();
  private hooks: WriterHooks = { cancelOnNode: () => undefined, wakeScheduler: () => undefined };

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  setHooks(hooks: WriterHooks): void {
    this.hooks = hooks;
  }

  async run<T>(section: (db: Db, fx: Effects) => Promise<T>): Promise<T> {
    const fx = new Effects();
    const result = await this.mutex.run(() => this.store.db.transaction().execute((trx) => section(trx, fx)));
    this.apply(fx);
    return result;
  }

  private apply(fx: Effects): void {
    this.bus.publish(fx.events);
    for (const cancel of fx.cancels) this.hooks.cancelOnNode(cancel.nodeId, cancel.taskId, cancel.attempt);
    if (fx.wakeScheduler) this.hooks.wakeScheduler();
  }
}
