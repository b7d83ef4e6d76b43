import { truncate } from './format.js';

/** Erases the current terminal line and returns the cursor to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * A status line. On a terminal it is one line rewritten in place. On a pipe or
 * file, where rewrites would pile up as noise, it is plain: one line each time
 * the state (the `milestone`) changes, so a CI log still shows how a job went.
 */
export class ProgressLine {
  private shown = false;
  private lastMilestone: string | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Whether updates are drawn in place (the stream is a terminal). */
  get live(): boolean {
    return this.stream.isTTY === true;
  }

  /**
   * Shows `text`. Live: replaces the line, cut to the terminal width because a
   * wrapped line cannot be erased with one `\r`. Plain: writes it as a line when
   * `milestone` differs from the last one written.
   */
  update(text: string, milestone: string): void {
    if (!this.live) {
      if (milestone !== this.lastMilestone) this.stream.write(`${text}\n`);
      this.lastMilestone = milestone;
      return;
    }
    const columns = this.stream.columns > 1 ? this.stream.columns - 1 : 79;
    this.stream.write(`${CLEAR_LINE}${truncate(text, columns)}`);
    this.shown = true;
  }

  /** Removes the live line so the next output starts on a clean line. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(CLEAR_LINE);
    this.shown = false;
  }
}
