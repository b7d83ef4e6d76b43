import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random secret: 32 bytes, URL-safe base64, with an optional prefix (`zb_live_`). */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * How an issued token or key is stored and looked up: its SHA-256. The texts
 * are random and long, so a fast digest is enough; only passwords need scrypt.
 */
export function digestOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A keyed digest, for caching a checked password without keeping it. */
export function keyedDigest(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

/** Compares two strings in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
