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
