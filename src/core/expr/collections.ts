import type { ExprFunction } from './functions.js';
import { compare, equal, int, list, map, MAX_ITEMS, str } from './values.js';

/** Reads a key or index of plain data; nil when absent (expr-lang's `get`, and member access). */
export function read(object: unknown, key: unknown): unknown {
  if (object === null || object === undefined) return null;
  if (Array.isArray(object)) {
    if (key === 'length') return object.length;
    const index = Number(key);
    if (!Number.isInteger(index)) return null;
    return object[index < 0 ? object.length + index : index] ?? null;
  }
  if (typeof object === 'string') {
    const index = Number(key);
    if (!Number.isInteger(index)) return null;
    const chars = [...object];
    return chars[index < 0 ? chars.length + index : index] ?? null;
  }
  if (typeof object === 'object') {
    const name = String(key);
    // Only own properties of plain data: never the prototype chain.
    return Object.prototype.hasOwnProperty.call(object, name) ? ((object as Record<string, unknown>)[name] ?? null) : null;
  }
  return null;
}

/** `a[from:to]` of a list or string: negative bounds count from the end; bounds are clamped. */
export function slice(value: unknown, from: unknown, to: unknown): unknown {
  if (value === null || value === undefined) return null;
  const items = typeof value === 'string' ? [...value] : list(value, 'slice');
  const bound = (raw: unknown, fallback: number): number => {
    if (raw === null || raw === undefined) return fallback;
    const n = int(raw, 'slice');
    return Math.min(Math.max(n < 0 ? items.length + n : n, 0), items.length);
  };
  const start = bound(from, 0);
  const end = Math.max(bound(to, items.length), start);
  const out = items.slice(start, end);
  return typeof value === 'string' ? out.join('') : out;
}

function flatten(items: unknown[], depth: number): unknown[] {
  if (depth > 100) throw new Error('flatten: the list is nested too deeply');
  return items.flatMap((item) => (Array.isArray(item) ? flatten(item, depth + 1) : [item]));
}

/** Sorts numbers or strings (`keys`, when given, are what is compared, one per item). */
export function sortValues(items: unknown[], order: unknown, name: string, keys: unknown[] = items): unknown[] {
  const direction = order === undefined ? 'asc' : str(order, name);
  if (direction !== 'asc' && direction !== 'desc') throw new Error(`${name}: the order must be "asc" or "desc", got ${JSON.stringify(direction)}`);
  const keyed = items.map((item, index) => ({ item, key: keys[index] }));
  keyed.sort((a, b) => compare(a.key, b.key, name) * (direction === 'desc' ? -1 : 1));
  return keyed.map((entry) => entry.item);
}

const fn = (min: number, max: number, call: ExprFunction['call']): ExprFunction => ({ min, max, call });

/** expr-lang's list and map built-ins. `keys`, `values` and `toPairs` keep the map's order. */
export const COLLECTION_FUNCTIONS: Record<string, ExprFunction> = {
  first: fn(1, 1, (items) => list(items, 'first')[0] ?? null),
  last: fn(1, 1, (items) => {
    const all = list(items, 'last');
    return all[all.length - 1] ?? null;
  }),
  get: fn(2, 2, (value, key) => read(value, key)),
  take: fn(2, 2, (items, n) => list(items, 'take').slice(0, Math.max(0, int(n, 'take')))),
  keys: fn(1, 1, (value) => Object.keys(map(value, 'keys'))),
  values: fn(1, 1, (value) => Object.values(map(value, 'values'))),
  toPairs: fn(1, 1, (value) => Object.entries(map(value, 'toPairs'))),
  fromPairs: fn(1, 1, (pairs) => {
    const out: Record<string, unknown> = {};
    for (const pair of list(pairs, 'fromPairs')) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error('fromPairs: each pair must be a list of two items');
      const key = String(pair[0]);
      if (key === '__proto__') throw new Error('fromPairs: the key "__proto__" is not allowed');
      out[key] = pair[1];
    }
    return out;
  }),
  reverse: fn(1, 1, (items) => [...list(items, 'reverse')].reverse()),
  uniq: fn(1, 1, (items) => {
    const out: unknown[] = [];
    for (const item of list(items, 'uniq')) if (!out.some((seen) => equal(seen, item))) out.push(item);
    return out;
  }),
  concat: fn(1, Infinity, (...lists) => {
    const out = lists.flatMap((items) => list(items, 'concat'));
    if (out.length > MAX_ITEMS) throw new Error(`concat: at most ${MAX_ITEMS} items`);
    return out;
  }),
  flatten: fn(1, 1, (items) => flatten(list(items, 'flatten'), 0)),
  sort: fn(1, 2, (items, order) => sortValues(list(items, 'sort'), order, 'sort')),
};
