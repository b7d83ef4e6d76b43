import type { TaskReport } from '../core/worker-protocol.js';

/**
 * Collects a worker's reports and sends them in order, batched: everything that
 * piles up while sends are in flight goes in the next batch. Log lines of a task
 * are merged into one report per batch (one log part). A failed send is retried
 * with backoff so nothing is dropped while the server is briefly unreachable.
 *
 * `maxInFlight` > 1 is only for links that take each call's reports in the order
 * the calls were made (the in-process link does: it queues them per job at once).
 */
export class ReportBuffer {
  private pending: TaskReport[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;

  constructor(
    private readonly send: (reports: TaskReport[]) => Promise<void>,
    private readonly onSendError: (error: unknown) => void,
    private readonly maxInFlight = 1,
  ) {}

  add(report: TaskReport): void {
    const last = this.pending[this.pending.length - 1];
    if (report.type === 'log' && last?.type === 'log' && last.taskId === report.taskId && last.attempt === report.attempt) {
      last.contents += report.contents;
    } else {
      this.pending.push(report);
    }
    this.schedule();
  }

  /** Resolves once everything added so far has been sent. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      if (this.pending.length > 0 && this.inFlight.size < this.maxInFlight) this.start();
      else await Promise.race(this.inFlight);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight.size >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate lets the lines and state changes of one I/O turn share a batch.
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight.size < this.maxInFlight) this.start();
    });
  }

  private start(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const sending: Promise<void> = this.sendWithRetry(batch).finally(() => {
      this.inFlight.delete(sending);
      if (this.pending.length > 0) this.schedule();
    });
    this.inFlight.add(sending);
  }

  private async sendWithRetry(batch: TaskReport[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(batch);
        return;
      } catch (error) {
        this.onSendError(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
  }
}
