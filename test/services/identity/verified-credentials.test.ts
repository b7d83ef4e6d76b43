import { describe, expect, it } from 'vitest';
import { VerifiedCredentials, type Verified } from '../../../src/services/identity/verified-credentials.js';

/** A check that counts its runs and answers when told to. */
function countedCheck(answer: () => Verified<string>): { check: () => Promise<Verified<string>>; runs: () => number; release: () => void } {
  let runs = 0;
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  return {
    check: async () => {
      runs++;
      await gate;
      return answer();
    },
    runs: () => runs,
    release: () => {
      release();
      gate = Promise.resolve();
    },
  };
}

describe('VerifiedCredentials', () => {
  it('runs one check for many requests that miss at once, and answers all of them', async () => {
    const cache = new VerifiedCredentials<string>(5_000);
    const counted = countedCheck(() => ({ value: 'alice' }));
    const waiting = Array.from({ length: 16 }, () => cache.get('k', counted.check));
    counted.release();
    expect(await Promise.all(waiting)).toEqual(Array(16).fill('alice'));
    expect(counted.runs()).toBe(1);
    expect(await cache.get('k', counted.check)).toBe('alice');
    expect(counted.runs()).toBe(1);
  });

  it('shares a failure with the requests waiting on it, and does not keep it', async () => {
    const cache = new VerifiedCredentials<string>(5_000);
    let fail = true;
    const counted = countedCheck(() => {
      if (fail) throw new Error('revoked');
      return { value: 'alice' };
    });
    const waiting = [cache.get('k', counted.check), cache.get('k', counted.check)];
    counted.release();
    for (const result of await Promise.allSettled(waiting)) expect(result.status).toBe('rejected');
    expect(counted.runs()).toBe(1);
    fail = false;
    expect(await cache.get('k', counted.check)).toBe('alice');
    expect(counted.runs()).toBe(2);
  });

  it('cleans up after a check that throws before it awaits anything', async () => {
    const cache = new VerifiedCredentials<string>(5_000);
    await expect(cache.get('k', () => { throw new Error('at once'); })).rejects.toThrow('at once');
    expect(await cache.get('k', async () => ({ value: 'later' }))).toBe('later');
  });

  it('renews an entry used late in its time in the background, answering from the cache meanwhile', async () => {
    const cache = new VerifiedCredentials<string>(1_000, 0.5);
    let name = 'first';
    const counted = countedCheck(() => ({ value: name }));
    counted.release();
    const start = Date.now();
    expect(await cache.get('k', counted.check, start)).toBe('first');
    name = 'second';
    // Early in its time: no check.
    expect(await cache.get('k', counted.check, start + 100)).toBe('first');
    expect(counted.runs()).toBe(1);
    // Late: still the cached answer, and a check starts.
    expect(await cache.get('k', counted.check, start + 600)).toBe('first');
    expect(counted.runs()).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('k', counted.check)).toBe('second');
  });

  it('drops an entry whose background check fails, so the next request checks again', async () => {
    const cache = new VerifiedCredentials<string>(1_000, 0.5);
    let revoked = false;
    let runs = 0;
    const check = async (): Promise<Verified<string>> => {
      runs++;
      if (revoked) throw new Error('revoked');
      return { value: 'alice' };
    };
    const start = Date.now();
    expect(await cache.get('k', check, start)).toBe('alice');
    revoked = true;
    expect(await cache.get('k', check, start + 600)).toBe('alice');
    await new Promise((resolve) => setImmediate(resolve));
    await expect(cache.get('k', check)).rejects.toThrow('revoked');
    expect(runs).toBe(3);
  });

  it('keeps an entry no longer than the credential itself is good', async () => {
    const cache = new VerifiedCredentials<string>(60_000);
    const now = Date.now();
    let runs = 0;
    const check = async (): Promise<Verified<string>> => ({ value: `run ${++runs}`, expiresAt: now + 50 });
    expect(await cache.get('k', check, now)).toBe('run 1');
    expect(await cache.get('k', check, now + 10)).toBe('run 1');
    // The check itself stored the entry at its own "now": read past the credential's expiry.
    expect(await cache.get('k', check, now + 60)).toBe('run 2');
  });

  it('does not store what a check found when the cache was cleared while it ran', async () => {
    const cache = new VerifiedCredentials<string>(5_000);
    const counted = countedCheck(() => ({ value: 'before the revoke' }));
    const pending = cache.get('k', counted.check);
    cache.clear();
    counted.release();
    expect(await pending).toBe('before the revoke');
    expect(await cache.get('k', async () => ({ value: 'checked again' }))).toBe('checked again');
  });
});
