import { truncate } from './format.js';

/** Erases the current terminal line and returns the cursor to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * One status line rewritten in place on a terminal. On a pipe or file it writes
 * nothing: rewrites would pile up as noise in logs, and scripts get the final
 * line anyway.
 */
export class ProgressLine {
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Whether updates are drawn at all (the stream is a terminal). */
  get live(): boolean {
    return this.stream.isTTY === true;
  }

  /** Replaces the line; cut to the terminal width because a wrapped line cannot be erased with one `\r`. */
  update(text: string): void {
    if (!this.live) return;
    const columns = this.stream.columns > 1 ? this.stream.columns - 1 : 79;
    this.stream.write(`${CLEAR_LINE}${truncate(text, columns)}`);
    this.shown = true;
  }

  /** Removes the line so the next output starts on a clean line. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(CLEAR_LINE);
    this.shown = false;
  }
}
