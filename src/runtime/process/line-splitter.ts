import type { StreamName } from '../runtime.js';

/**
 * Turns a process's output chunks into lines, cutting lines over `lineCap` bytes
 * and dropping everything after `totalCap` bytes of a task (saying so once).
 * Shared by stdout and stderr of one attempt so the cap is per task.
 */
export class LineBudget {
  private used = 0;
  private exhausted = false;

  constructor(
    private readonly lineCap: number,
    private readonly totalCap: number,
    private readonly emit: (stream: StreamName, line: string) => void,
  ) {}

  line(stream: StreamName, raw: string): void {
    if (this.exhausted) return;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (Buffer.byteLength(line) > this.lineCap) {
      line = `${Buffer.from(line).subarray(0, this.lineCap).toString('utf8')}… [line cut at ${this.lineCap} bytes]`;
    }
    this.used += Buffer.byteLength(line) + 1;
    if (this.used > this.totalCap) {
      this.exhausted = true;
      this.emit('stderr', `gantry: log limit of ${this.totalCap} bytes reached; further output of this task is dropped`);
      return;
    }
    this.emit(stream, line);
  }

  /** A splitter for one stream; call `end` when the stream closes to flush a last partial line. */
  splitter(stream: StreamName): { write(chunk: Buffer): void; end(): void } {
    let pending = '';
    return {
      write: (chunk) => {
        pending += chunk.toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          this.line(stream, pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
        // A line without newline that is already over the cap is emitted now, bounded.
        if (Buffer.byteLength(pending) > this.lineCap * 4) {
          this.line(stream, pending);
          pending = '';
        }
      },
      end: () => {
        if (pending !== '') this.line(stream, pending);
        pending = '';
      },
    };
  }
}
