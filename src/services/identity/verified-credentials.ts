import { TtlCache } from './ttl-cache.js';

/** What checking a credential found: who it is, and until when the credential itself is good. */
export interface Verified<V> {
  value: V;
  /** Epoch ms after which the credential is no longer good (a token's expiry); none: only the cache's own time. */
  expiresAt?: number;
}

/**
 * Credentials already checked, each trusted for `ttlMs` without looking again.
 *
 * Three things keep the check off a steady client's requests: a hit costs a map
 * lookup; many requests that miss at once (16 in flight when an entry expires)
 * share one check instead of each hashing the password or reading the store;
 * and an entry used during the last part of its time is checked again in the
 * background, while its requests go on being answered from the cache, so it is
 * renewed before it lapses. A background check that fails drops the entry, so
 * a credential revoked elsewhere stops working within `ttlMs`.
 */
export class VerifiedCredentials<V> {
  private readonly entries: TtlCache<{ value: V; checkedAt: number }>;
  private readonly inFlight = new Map<string, Promise<V>>();
  /** Bumped by `clear`: a check that began before it may not store what it found. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    /** Share of `ttlMs` after which a used entry is checked again in the background. */
    private readonly renewAfter = 0.6,
  ) {
    this.entries = new TtlCache(ttlMs);
  }

  /** The value for `key`: from the cache, else from `check` (run once for all callers waiting on the same key). */
  async get(key: string, check: () => Promise<Verified<V>>, now = Date.now()): Promise<V> {
    const cached = this.entries.get(key, now);
    if (cached) {
      if (now - cached.checkedAt >= this.ttlMs * this.renewAfter && !this.inFlight.has(key)) {
        // The answer is the cached one; a failure only drops the entry for the next request.
        this.checkOnce(key, check).catch(() => this.entries.delete(key));
      }
      return cached.value;
    }
    return this.inFlight.get(key) ?? this.checkOnce(key, check);
  }

  /** Forgets every checked credential: after a revoke or a password change in this process. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private checkOnce(key: string, check: () => Promise<Verified<V>>): Promise<V> {
    const generation = this.generation;
    // Started on a later tick, so a check that throws at once still finds itself registered and cleans up.
    const running: Promise<V> = Promise.resolve()
      .then(check)
      .then(({ value, expiresAt }) => {
        const now = Date.now();
        if (generation === this.generation) this.entries.set(key, { value, checkedAt: now }, now, expiresAt);
        return value;
      })
      .finally(() => {
        if (this.inFlight.get(key) === running) this.inFlight.delete(key);
      });
    this.inFlight.set(key, running);
    return running;
  }
}
