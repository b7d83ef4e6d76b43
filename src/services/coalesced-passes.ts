/**
 * Runs passes of a piece of work one at a time: wakes in one turn of the event
 * loop share one pass, and a wake during a pass runs one more after it. Errors
 * go to `onError`; the next wake runs again.
 */
export class CoalescedPasses {
  private running = false;
  private again = false;
  private pending = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.stopped || this.running) {
        this.again = this.running;
        return;
      }
      this.running = true;
      this.idle = this.loop().finally(() => {
        this.running = false;
      });
    });
  }

  /** No more passes; resolves when the one under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (error) {
      this.onError(error);
    }
  }
}
