/**
 * Per-key request limits as Zeroboot counts them: a bucket of `capacity`
 * tokens per key, refilled at `perSecond`, one token per request. Written here
 * because the usual Fastify limiter counts fixed windows, which lets twice the
 * rate through across a window's edge.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`; when there is none, how many seconds until there is. */
  take(key: string, now = performance.now()): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }
}
