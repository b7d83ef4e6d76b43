/**
 * Slows down password guessing. Failures are counted per username and client
 * address together, and per address alone with a higher allowance (one
 * address trying many usernames); past the allowance, further attempts within
 * a window are refused without checking the password, for a time that doubles
 * with each further failure. Counting a username only with its address keeps a
 * guesser elsewhere from locking its owner out; a success clears that count.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; blockedUntil: number; lastAt: number }>();

  constructor(
    private readonly freePerUser = 5,
    private readonly freePerAddress = 50,
    private readonly baseBlockMs = 1_000,
    private readonly maxBlockMs = 5 * 60_000,
    private readonly forgetAfterMs = 15 * 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until this username from this address may try again; 0 when it may now. */
  waitMs(username: string, address: string, now = Date.now()): number {
    return Math.max(this.blockedFor(userKey(username, address), now), this.blockedFor(addressKey(address), now));
  }

  failed(username: string, address: string, now = Date.now()): void {
    this.count(userKey(username, address), this.freePerUser, now);
    this.count(addressKey(address), this.freePerAddress, now);
  }

  succeeded(username: string, address: string): void {
    this.failures.delete(userKey(username, address));
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

  private count(key: string, free: number, now: number): void {
    let entry = this.failures.get(key);
    if (!entry || now - entry.lastAt > this.forgetAfterMs) {
      if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
      entry = { count: 0, blockedUntil: 0, lastAt: now };
      this.failures.set(key, entry);
    }
    entry.count++;
    entry.lastAt = now;
    const over = entry.count - free;
    if (over > 0) entry.blockedUntil = now + Math.min(this.maxBlockMs, this.baseBlockMs * 2 ** (over - 1));
  }
}

const userKey = (username: string, address: string): string => `u:${address}\u0000${username}`;
const addressKey = (address: string): string => `a:${address}`;
