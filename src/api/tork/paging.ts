import { GantryError } from '../../core/errors.js';

export interface PageQuery {
  page: number;
  size: number;
  q?: string;
}

/**
 * Tork's paging rules: `page` defaults to 1 (below 1 becomes 1), `size` is clamped
 * to [1, max]. A value that is not an integer is answered with 404 and Tork's
 * message, as real Tork does (Go's `strconv.Atoi`: an optional sign, then digits;
 * a number too large for it is refused the same way).
 */
export function parsePaging(query: Record<string, unknown>, defaults: { size: number; max: number }): PageQuery {
  const page = parseIntParam(query.page, 1, 'invalid page number');
  const size = parseIntParam(query.size, defaults.size, 'invalid size');
  const q = typeof query.q === 'string' && query.q.trim() !== '' ? query.q.trim() : undefined;
  // A page so far out that its offset is no longer an exact integer is empty anyway;
  // capping it keeps the offset one the databases accept.
  const lastPage = Math.floor(Number.MAX_SAFE_INTEGER / defaults.max);
  return { page: Math.min(lastPage, Math.max(1, page)), size: Math.min(defaults.max, Math.max(1, size)), q };
}

function parseIntParam(value: unknown, fallback: number, message: string): number {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return fallback;
  const text = String(raw);
  const number = /^[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new GantryError('not_found', `${message}: ${text}`);
  return number;
}
