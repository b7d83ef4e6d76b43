import { readFileSync, statSync } from 'node:fs';

/**
 * Zeroboot's keys file: a JSON array of key strings. As in Zeroboot, a missing
 * file, one that is not an array of strings, and an empty array all mean "no
 * keys" (the exec routes then need no key, where Gantry allows that). The file
 * is read again when it changes, checked at most once a second, so keys can be
 * added without a restart.
 */
export class ApiKeysFile {
  private keys: ReadonlySet<string> = new Set();
  private seenMtimeMs: number | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly path: string) {
    this.reload();
  }

  /** The keys in the file; empty when there is none. */
  current(now = Date.now()): ReadonlySet<string> {
    if (now - this.checkedAt >= 1_000) this.reload(now);
    return this.keys;
  }

  private reload(now = Date.now()): void {
    this.checkedAt = now;
    let mtimeMs: number | undefined;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      this.keys = new Set();
      this.seenMtimeMs = undefined;
      return;
    }
    if (mtimeMs === this.seenMtimeMs) return;
    this.seenMtimeMs = mtimeMs;
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
      this.keys = Array.isArray(parsed) && parsed.every((key) => typeof key === 'string') ? new Set(parsed.filter((key) => key !== '')) : new Set();
    } catch {
      this.keys = new Set();
    }
  }
}
