import { randomInt as cryptoRandomInt } from 'node:crypto';

/**
 * The functions an expression can call: Tork's own (`sequence`, `randomInt`,
 * `fromJSON`, `toJSON`, `split`) and the expr-lang built-ins pipelines commonly use.
 * Each checks its arguments and throws a plain Error with a clear message.
 */
export type ExprFunction = (...args: unknown[]) => unknown;

const MAX_SEQUENCE = 100_000;

function int(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new Error(`${name}: expected an integer, got ${describe(value)}`);
  return number;
}

function str(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`${name}: expected a string, got ${describe(value)}`);
  return value;
}

function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${name}: expected a list, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

export function lengthOf(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  throw new Error(`len: expected a string, list or map, got ${describe(value)}`);
}

export const FUNCTIONS: Record<string, ExprFunction> = {
  /** Tork: the integers from start up to, not including, stop. */
  sequence: (start, stop) => {
    const from = int(start, 'sequence');
    const to = int(stop, 'sequence');
    if (to - from > MAX_SEQUENCE) throw new Error(`sequence: at most ${MAX_SEQUENCE} items`);
    const out: number[] = [];
    for (let i = from; i < to; i++) out.push(i);
    return out;
  },
  /** Tork: a random integer in [0, n). */
  randomInt: (...args) => {
    const bound = args.length === 0 ? 2 ** 31 - 1 : int(args[0], 'randomInt');
    if (bound <= 0) throw new Error('randomInt: the bound must be positive');
    return cryptoRandomInt(bound);
  },
  fromJSON: (text) => {
    try {
      return JSON.parse(str(text, 'fromJSON')) as unknown;
    } catch (error) {
      throw new Error(`fromJSON: ${(error as Error).message}`);
    }
  },
  toJSON: (value) => JSON.stringify(value ?? null),
  split: (text, separator) => str(text, 'split').split(str(separator, 'split')),
  join: (items, separator) => list(items, 'join').map(String).join(separator === undefined ? '' : str(separator, 'join')),
  len: (value) => lengthOf(value),
  upper: (text) => str(text, 'upper').toUpperCase(),
  lower: (text) => str(text, 'lower').toLowerCase(),
  trim: (text, chars) => {
    const value = str(text, 'trim');
    if (chars === undefined) return value.trim();
    const set = str(chars, 'trim');
    let start = 0;
    let end = value.length;
    while (start < end && set.includes(value[start]!)) start++;
    while (end > start && set.includes(value[end - 1]!)) end--;
    return value.slice(start, end);
  },
  replace: (text, from, to) => str(text, 'replace').split(str(from, 'replace')).join(str(to, 'replace')),
  keys: (map) => (map !== null && typeof map === 'object' && !Array.isArray(map) ? Object.keys(map) : list(map, 'keys')),
  values: (map) => (map !== null && typeof map === 'object' && !Array.isArray(map) ? Object.values(map) : list(map, 'values')),
  first: (items) => list(items, 'first')[0] ?? null,
  last: (items) => {
    const all = list(items, 'last');
    return all[all.length - 1] ?? null;
  },
  int: (value) => {
    const number = typeof value === 'string' ? Number(value.trim()) : Number(value);
    if (!Number.isFinite(number)) throw new Error(`int: cannot convert ${describe(value)}`);
    return Math.trunc(number);
  },
  float: (value) => {
    const number = typeof value === 'string' ? Number(value.trim()) : Number(value);
    if (!Number.isFinite(number)) throw new Error(`float: cannot convert ${describe(value)}`);
    return number;
  },
  string: (value) => (typeof value === 'string' ? value : JSON.stringify(value ?? null)),
  abs: (value) => Math.abs(Number(value)),
  max: (...args) => Math.max(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(Number)),
  min: (...args) => Math.min(...(args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(Number)),
  now: () => new Date().toISOString(),
};
