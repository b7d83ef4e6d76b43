import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SampleBatch } from '../../core/metrics.js';

export type { SampleBatch } from '../../core/metrics.js';

type KeyTuple = [string, string, string, string, string, string];

/**
 * The metric samples taken but not yet written to the database, appended to
 * files in a directory of their own as they come, so that a crash of Gantry
 * loses none of what it acknowledged: a restart reads them back. A file is
 * removed once its samples are in the database. Written through the operating
 * system's cache, not synced: a crash of the machine may lose its last seconds.
 */
export class SampleLog {
  private handle: FileHandle | undefined;
  private current = '';
  private tail: Promise<void> = Promise.resolve();
  private sequence = 0;

  constructor(private readonly dir: string) {}

  /** Reads what earlier runs left (oldest first) and opens a new file; returns the batches and the files they came from. */
  async open(): Promise<{ batches: SampleBatch[]; files: string[] }> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const files = readdirSync(this.dir)
      .filter((name) => name.endsWith('.log'))
      .sort()
      .map((name) => join(this.dir, name));
    const batches: SampleBatch[] = [];
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          const parsed = JSON.parse(line) as { k: KeyTuple[]; d: number[] };
          batches.push({ keys: parsed.k.map(([cluster, host, metric, scope, scopeId, jobId]) => ({ cluster, host, metric, scope, scopeId, jobId })), data: parsed.d });
        } catch {
          // A line cut short by a crash: its request was never acknowledged.
        }
      }
    }
    await this.openNext();
    return { batches, files };
  }

  private async openNext(): Promise<void> {
    // Names sort in the order the files were made.
    this.current = join(this.dir, `${Date.now().toString().padStart(15, '0')}-${process.pid}-${String(++this.sequence).padStart(6, '0')}.log`);
    this.handle = await open(this.current, 'a', 0o600);
  }

  /** Appends a batch; resolves once it is in the file (appends keep their order). */
  append(batch: SampleBatch): Promise<void> {
    const line = `${JSON.stringify({ k: batch.keys.map((key): KeyTuple => [key.cluster, key.host, key.metric, key.scope, key.scopeId, key.jobId]), d: batch.data })}\n`;
    const write = this.tail.then(async () => {
      await this.handle!.write(line);
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Starts a new file for what comes next; returns the finished one, to remove once its samples are written. */
  async rotate(): Promise<string> {
    const done = this.current;
    const rotation = this.tail.then(async () => {
      await this.handle!.close();
      await this.openNext();
    });
    this.tail = rotation.catch(() => undefined);
    await rotation;
    return done;
  }

  remove(files: readonly string[]): void {
    for (const file of files) rmSync(file, { force: true });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }
}
