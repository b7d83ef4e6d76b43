import type { Store } from '../../store/open.js';
import { forgetOldExecOutputs, insertExecRecords, type ExecRecord } from '../../store/exec-repo.js';

/** Records written together; a burst of snippets costs one transaction per this many. */
const BATCH = 200;
/** How long a record may wait for others to share its transaction. */
const DELAY_MS = 20;
/** How often the code and output of old records are forgotten. */
const PRUNE_EVERY = 1_000;

/**
 * Writes exec records behind the answers: a snippet's result goes back to its
 * caller at once, and its record reaches the store within DELAY_MS, batched with
 * the others of that moment. `flush` (at shutdown) writes what is left.
 */
export class ExecRecorder {
  private buffer: ExecRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private sincePrune = 0;

  constructor(
    private readonly store: Store,
    private readonly keepOutputs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  record(entry: ExecRecord): void {
    this.buffer.push(entry);
    if (this.buffer.length >= BATCH) this.schedule(0);
    else this.schedule(DELAY_MS);
  }

  /** Writes every record given so far. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
    await this.writing;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, delayMs);
  }

  private write(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.sincePrune += batch.length;
    const prune = this.sincePrune >= PRUNE_EVERY;
    if (prune) this.sincePrune = 0;
    this.writing = this.writing.then(async () => {
      try {
        await insertExecRecords(this.store.db, batch);
      } catch {
        // One bad record must not take the others with it: each alone, and only the bad ones are reported.
        for (const record of batch) await insertExecRecords(this.store.db, [record]).catch(this.onError);
      }
      if (prune) await forgetOldExecOutputs(this.store.db, this.keepOutputs).catch(this.onError);
    });
  }
}
