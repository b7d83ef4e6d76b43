/**
 * A small map whose entries expire, bounded in size (the oldest entry goes
 * first). For credentials already checked, so that a request with a known token
 * or password costs a lookup, not a hash or a database read.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` until `now + ttl`, or until `expiresAt` when that is sooner. */
  set(key: string, value: V, now = Date.now(), expiresAt = Number.POSITIVE_INFINITY): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt: Math.min(now + this.ttlMs, expiresAt) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
