import { GantryError } from '../../core/errors.js';

/**
 * At most `maxRunning` at once; up to `queueLength` more wait, each at most
 * `queueTimeoutMs`. Past that a caller is told at once (503) instead of piling up.
 */
export class RunLimiter {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    private readonly what: string,
    private readonly maxRunning: number,
    private readonly queueLength: number,
    private readonly queueTimeoutMs: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueLength) {
      return Promise.reject(busy(`all ${this.maxRunning} ${this.what} sandboxes are busy and ${this.waiting.length} snippets are waiting; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(busy(`no ${this.what} sandbox became free within ${this.queueTimeoutMs / 1000}s; try again shortly`));
        }, this.queueTimeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next in line.
    if (next) next.start();
    else this.running--;
  }
}

function busy(message: string): GantryError {
  return new GantryError('unavailable', message, { details: { retryAfterSeconds: 1 } });
}
