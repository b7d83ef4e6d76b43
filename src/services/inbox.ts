import type { WorkerMessage } from '../core/worker-protocol.js';

/**
 * A node's mailbox: the scheduler and the engine push messages, the node's
 * `receive` call takes them, waiting when there are none. Delivery to a waiting
 * receiver is immediate, which is what keeps submit-to-start latency low.
 */
export class Inbox {
  private queue: WorkerMessage[] = [];
  private waiter: ((messages: WorkerMessage[]) => void) | undefined;

  push(message: WorkerMessage): void {
    this.queue.push(message);
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake(this.drain());
    }
  }

  take(waitMs: number, signal?: AbortSignal): Promise<WorkerMessage[]> {
    if (this.queue.length > 0) return Promise.resolve(this.drain());
    // Only one receiver per node: a newer call replaces an older one, which gets nothing.
    this.waiter?.([]);
    return new Promise((resolve) => {
      const finish = (messages: WorkerMessage[]): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiter === finish) this.waiter = undefined;
        resolve(messages);
      };
      const onAbort = (): void => finish([]);
      const timer = setTimeout(() => finish([]), waitMs);
      timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
    });
  }

  /** Messages not yet taken (e.g. to requeue when a node goes away). */
  drain(): WorkerMessage[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  close(): void {
    this.waiter?.([]);
    this.waiter = undefined;
  }
}
