import { randomBytes, randomUUID } from 'node:crypto';

/** A job or task id in the form Tork uses: a random UUID without dashes (32 hex chars). */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

const BASE57 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A node id in the 22-character base-57 form Tork's nodes carry. */
export function newShortId(): string {
  const bytes = randomBytes(22);
  let id = '';
  for (const byte of bytes) id += BASE57[byte % BASE57.length];
  return id;
}

/** A UUID version 7 (RFC 9562): 48 bits of epoch milliseconds, then random bits; sorts by time, as Zeroboot's ids. */
export function newUuidV7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
