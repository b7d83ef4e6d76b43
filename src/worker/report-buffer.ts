import type { TaskReport } from '../core/worker-protocol.js';

/**
 * Collects a worker's reports and sends them in order, batched: everything that
 * piles up while one send is in flight goes in the next. Log lines of a task are
 * merged into one report per batch (one log part). A failed send is retried with
 * backoff so nothing is dropped while the server is briefly unreachable.
 */
export class ReportBuffer {
  private pending: TaskReport[] = [];
  private sending: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly send: (reports: TaskReport[]) => Promise<void>,
    private readonly onSendError: (error: unknown) => void,
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
    while (this.pending.length > 0 || this.sending) {
      if (this.sending) await this.sending;
      else this.start();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.sending) return;
    this.scheduled = true;
    // setImmediate lets the lines and state changes of one I/O turn share a batch.
    setImmediate(() => {
      this.scheduled = false;
      if (!this.sending) this.start();
    });
  }

  private start(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.sending = this.sendWithRetry(batch).finally(() => {
      this.sending = undefined;
      if (this.pending.length > 0) this.schedule();
    });
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
