/**
 * Slows down password guessing: after a few failed logins for a username, or
 * from a client address, further attempts within a window are refused without
 * checking the password, for a time that doubles with each further failure.
 * A success clears the username's count (not the address's).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; blockedUntil: number; lastAt: number }>();

  constructor(
    private readonly freeAttempts = 5,
    private readonly baseBlockMs = 1_000,
    private readonly maxBlockMs = 5 * 60_000,
    private readonly forgetAfterMs = 15 * 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until this username or address may try again; 0 when it may now. */
  waitMs(username: string, address: string, now = Date.now()): number {
    return Math.max(this.blockedFor(`u:${username}`, now), this.blockedFor(`a:${address}`, now));
  }

  failed(username: string, address: string, now = Date.now()): void {
    this.count(`u:${username}`, now);
    this.count(`a:${address}`, now);
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username}`);
  }

  private blockedFor(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    if (now - entry.lastAt > this.forgetAfterMs) {
      this.failures.delete(key);
      return 0;
    }
    return Math.max(0, entry.blockedUntil - now);
  }

  private count(key: string, now: number): void {
    let entry = this.failures.get(key);
    if (!entry || now - entry.lastAt > this.forgetAfterMs) {
      if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
      entry = { count: 0, blockedUntil: 0, lastAt: now };
      this.failures.set(key, entry);
    }
    entry.count++;
    entry.lastAt = now;
    const over = entry.count - this.freeAttempts;
    if (over > 0) entry.blockedUntil = now + Math.min(this.maxBlockMs, this.baseBlockMs * 2 ** (over - 1));
  }
}
