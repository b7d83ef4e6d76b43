import type { StreamName } from '../runtime.js';

const NEWLINE = 0x0a;

/** The longest prefix of `bytes` (at most `max` bytes) that does not end inside a UTF-8 character. */
export function utf8Prefix(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * Turns a task's output into lines for the log, within two caps: a line over
 * `lineCap` bytes is cut there and marked (the rest of it is dropped, never
 * buffered), and after `totalCap` bytes of an attempt's log every further line
 * is dropped, with one final line saying so. One budget serves both streams of
 * an attempt, so the cap is per task.
 */
export class LineBudget {
  private used = 0;
  private exhausted = false;
  /** Called once when the log cap is reached (the output need not be read any more). */
  onExhausted: (() => void) | undefined;

  constructor(
    private readonly lineCap: number,
    private readonly totalCap: number,
    private readonly emit: (stream: StreamName, line: string) => void,
  ) {}

  get isExhausted(): boolean {
    return this.exhausted;
  }

  /** Adds one complete line (without its newline). */
  line(stream: StreamName, text: string): void {
    if (this.exhausted) return;
    this.used += Buffer.byteLength(text) + 1;
    if (this.used > this.totalCap) {
      this.exhausted = true;
      this.emit('stderr', `gantry: log limit of ${this.totalCap} bytes reached; further output of this task is dropped`);
      this.onExhausted?.();
      return;
    }
    this.emit(stream, text);
  }

  private lineFrom(stream: StreamName, bytes: Buffer, cut: boolean): void {
    let end = bytes.length;
    if (!cut && end > 0 && bytes[end - 1] === 0x0d) end--;
    const text = utf8Prefix(bytes.subarray(0, end), this.lineCap).toString('utf8');
    this.line(stream, cut ? `${text}… [line cut at ${this.lineCap} bytes]` : text);
  }

  /** A splitter for one stream: feed it chunks with `write`, and call `end` when the stream closes. */
  splitter(stream: StreamName): { write(chunk: Buffer): void; end(): void } {
    let parts: Buffer[] = [];
    let size = 0;
    // The current line went over the cap: it was emitted cut, the rest is skipped up to its newline.
    let skipping = false;
    const append = (piece: Buffer): void => {
      if (skipping || piece.length === 0) return;
      if (size + piece.length > this.lineCap) {
        parts.push(piece.subarray(0, this.lineCap + 1 - size));
        this.lineFrom(stream, Buffer.concat(parts), true);
        parts = [];
        size = 0;
        skipping = true;
        return;
      }
      parts.push(piece);
      size += piece.length;
    };
    const finishLine = (): void => {
      if (!skipping) this.lineFrom(stream, parts.length === 1 ? parts[0]! : Buffer.concat(parts), false);
      parts = [];
      size = 0;
      skipping = false;
    };
    return {
      write: (chunk) => {
        let start = 0;
        let newline = chunk.indexOf(NEWLINE, start);
        while (newline !== -1) {
          append(chunk.subarray(start, newline));
          finishLine();
          start = newline + 1;
          newline = chunk.indexOf(NEWLINE, start);
        }
        append(chunk.subarray(start));
      },
      end: () => {
        if (size > 0) finishLine();
        parts = [];
        size = 0;
        skipping = false;
      },
    };
  }
}
