import { randomInt as cryptoRandomInt } from 'node:crypto';
import { COLLECTION_FUNCTIONS } from './collections.js';
import { goJson } from './go-json.js';
import { describe, int, lengthOf, list, MAX_ITEMS, MAX_STRING, num, str } from './values.js';

/**
 * A function an expression can call, with the number of arguments it takes
 * (checked when the expression is parsed, as expr-lang checks at compile time).
 * Each checks its arguments and throws a plain Error with a clear message.
 */
export interface ExprFunction {
  min: number;
  max: number;
  call: (...args: unknown[]) => unknown;
}

const fn = (min: number, max: number, call: ExprFunction['call']): ExprFunction => ({ min, max, call });

/** Numbers of a call like `max(1, 2)` or `max([1, 2])` (expr-lang flattens lists). */
function numbers(args: unknown[], name: string): number[] {
  const flat = args.flatMap((arg) => (Array.isArray(arg) ? arg.flat(Infinity) : [arg]));
  return flat.map((value) => num(value, name));
}

/** Go's strings.SplitN (n < 0: all, n == 0: none, n > 0: at most n parts, the last holding the rest). */
function splitN(text: string, separator: string, n: number, keepSeparator: boolean): string[] {
  if (n === 0) return [];
  const parts = separator === '' ? [...text] : text.split(separator);
  const withSeparator = keepSeparator && separator !== '' ? parts.map((part, index) => (index < parts.length - 1 ? part + separator : part)) : parts;
  if (n < 0 || withSeparator.length <= n) return withSeparator;
  const head = withSeparator.slice(0, n - 1);
  const rest = parts.slice(n - 1).join(separator);
  return [...head, rest];
}

function trimSet(value: string, set: string, start: boolean, end: boolean): string {
  const chars = [...value];
  let from = 0;
  let to = chars.length;
  while (start && from < to && set.includes(chars[from]!)) from++;
  while (end && to > from && set.includes(chars[to - 1]!)) to--;
  return chars.slice(from, to).join('');
}

function toNumber(value: unknown, name: string): number {
  const number = typeof value === 'string' ? Number(value.trim()) : typeof value === 'boolean' ? Number.NaN : Number(value);
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || !Number.isFinite(number)) {
    throw new Error(`${name}: cannot convert ${describe(value)}`);
  }
  return number;
}

/** Go's math.Round: halves away from zero. */
const roundHalfAway = (value: number): number => Math.sign(value) * Math.round(Math.abs(value));

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'string';
  return Array.isArray(value) ? 'array' : 'map';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bits(name: string, op: (x: bigint, y: bigint) => bigint): ExprFunction {
  return fn(2, 2, (x, y) => {
    const a = BigInt(int(x, name));
    const b = BigInt(int(y, name));
    if ((name === 'bitshl' || name === 'bitshr' || name === 'bitushr') && b < 0n) throw new Error(`${name}: negative shift count ${b}`);
    return Number(BigInt.asIntN(64, op(a, b)));
  });
}

/**
 * Tork's own functions (`sequence`, `randomInt`, internal/eval/funcs.go) and the
 * expr-lang built-ins (expr-lang/expr builtin/builtin.go, the version Tork uses)
 * that work on plain data. Predicates (`filter`, `map`, …) are in predicates.ts.
 */
export const FUNCTIONS: Record<string, ExprFunction> = {
  /** Tork: the integers from start up to, not including, stop. */
  sequence: fn(2, 2, (start, stop) => {
    const from = int(start, 'sequence');
    const to = int(stop, 'sequence');
    if (to - from > MAX_ITEMS) throw new Error(`sequence: at most ${MAX_ITEMS} items`);
    const out: number[] = [];
    for (let i = from; i < to; i++) out.push(i);
    return out;
  }),
  /** Tork: a random integer in [0, n); without n, any non-negative integer. */
  randomInt: fn(0, 1, (...args) => {
    if (args.length === 0) return cryptoRandomInt(2 ** 48 - 1);
    const bound = int(args[0], 'randomInt');
    if (bound <= 0) throw new Error('randomInt: the bound must be positive');
    return bound > 2 ** 48 - 1 ? Math.floor(Math.random() * bound) : cryptoRandomInt(bound);
  }),
  len: fn(1, 1, (value) => lengthOf(value)),
  type: fn(1, 1, typeOf),
  abs: fn(1, 1, (value) => Math.abs(num(value, 'abs'))),
  ceil: fn(1, 1, (value) => Math.ceil(num(value, 'ceil'))),
  floor: fn(1, 1, (value) => Math.floor(num(value, 'floor'))),
  round: fn(1, 1, (value) => roundHalfAway(num(value, 'round'))),
  int: fn(1, 1, (value) => Math.trunc(toNumber(value, 'int'))),
  float: fn(1, 1, (value) => toNumber(value, 'float')),
  string: fn(1, 1, (value) => (typeof value === 'string' ? value : value === null || value === undefined ? '<nil>' : typeof value === 'object' ? JSON.stringify(value) : String(value))),
  trim: fn(1, 2, (text, chars) => (chars === undefined ? str(text, 'trim').trim() : trimSet(str(text, 'trim'), str(chars, 'trim'), true, true))),
  trimPrefix: fn(1, 2, (text, prefix) => {
    const value = str(text, 'trimPrefix');
    const cut = prefix === undefined ? ' ' : str(prefix, 'trimPrefix');
    return cut !== '' && value.startsWith(cut) ? value.slice(cut.length) : value;
  }),
  trimSuffix: fn(1, 2, (text, suffix) => {
    const value = str(text, 'trimSuffix');
    const cut = suffix === undefined ? ' ' : str(suffix, 'trimSuffix');
    return cut !== '' && value.endsWith(cut) ? value.slice(0, -cut.length) : value;
  }),
  upper: fn(1, 1, (text) => str(text, 'upper').toUpperCase()),
  lower: fn(1, 1, (text) => str(text, 'lower').toLowerCase()),
  split: fn(2, 3, (text, separator, n) => splitN(str(text, 'split'), str(separator, 'split'), n === undefined ? -1 : int(n, 'split'), false)),
  splitAfter: fn(2, 3, (text, separator, n) =>
    splitN(str(text, 'splitAfter'), str(separator, 'splitAfter'), n === undefined ? -1 : int(n, 'splitAfter'), true),
  ),
  replace: fn(3, 4, (text, from, to, n) => {
    const value = str(text, 'replace');
    const old = str(from, 'replace');
    const replacement = str(to, 'replace');
    const count = n === undefined ? -1 : int(n, 'replace');
    if (count < 0) return value.split(old).join(replacement);
    const parts = value.split(old);
    return parts.slice(0, count + 1).join(replacement) + (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : '');
  }),
  repeat: fn(2, 2, (text, times) => {
    const value = str(text, 'repeat');
    const n = int(times, 'repeat');
    if (n < 0) throw new Error(`repeat: expected a count of 0 or more, got ${n}`);
    if (value.length * n > MAX_STRING) throw new Error(`repeat: the result would be longer than ${MAX_STRING} characters`);
    return value.repeat(n);
  }),
  join: fn(1, 2, (items, separator) =>
    list(items, 'join')
      .map((item) => str(item, 'join'))
      .join(separator === undefined ? '' : str(separator, 'join')),
  ),
  indexOf: fn(2, 2, (text, part) => str(text, 'indexOf').indexOf(str(part, 'indexOf'))),
  lastIndexOf: fn(2, 2, (text, part) => str(text, 'lastIndexOf').lastIndexOf(str(part, 'lastIndexOf'))),
  hasPrefix: fn(2, 2, (text, prefix) => str(text, 'hasPrefix').startsWith(str(prefix, 'hasPrefix'))),
  hasSuffix: fn(2, 2, (text, suffix) => str(text, 'hasSuffix').endsWith(str(suffix, 'hasSuffix'))),
  max: fn(1, Infinity, (...args) => {
    const all = numbers(args, 'max');
    if (all.length === 0) throw new Error('max: no values');
    return Math.max(...all);
  }),
  min: fn(1, Infinity, (...args) => {
    const all = numbers(args, 'min');
    if (all.length === 0) throw new Error('min: no values');
    return Math.min(...all);
  }),
  mean: fn(1, Infinity, (...args) => {
    const all = numbers(args, 'mean');
    return all.length === 0 ? 0 : all.reduce((a, b) => a + b, 0) / all.length;
  }),
  median: fn(1, Infinity, (...args) => {
    const all = numbers(args, 'median').sort((a, b) => a - b);
    if (all.length === 0) return 0;
    const middle = Math.floor(all.length / 2);
    return all.length % 2 === 1 ? all[middle]! : (all[middle - 1]! + all[middle]!) / 2;
  }),
  toJSON: fn(1, 1, (value) => goJson(value)),
  fromJSON: fn(1, 1, (text) => {
    try {
      return JSON.parse(str(text, 'fromJSON')) as unknown;
    } catch (error) {
      throw new Error(`fromJSON: ${(error as Error).message}`);
    }
  }),
  toBase64: fn(1, 1, (text) => Buffer.from(str(text, 'toBase64'), 'utf8').toString('base64')),
  fromBase64: fn(1, 1, (text) => {
    const value = str(text, 'fromBase64');
    if (!BASE64.test(value)) throw new Error('fromBase64: not valid base64');
    return Buffer.from(value, 'base64').toString('utf8');
  }),
  /** The current time, RFC 3339 (expr-lang returns a Go time; there is no time type here). */
  now: fn(0, 0, () => new Date().toISOString()),
  bitand: bits('bitand', (x, y) => x & y),
  bitor: bits('bitor', (x, y) => x | y),
  bitxor: bits('bitxor', (x, y) => x ^ y),
  bitnand: bits('bitnand', (x, y) => x & ~y),
  bitshl: bits('bitshl', (x, y) => x << y),
  bitshr: bits('bitshr', (x, y) => x >> y),
  bitushr: bits('bitushr', (x, y) => BigInt.asUintN(64, x) >> y),
  bitnot: fn(1, 1, (x) => Number(BigInt.asIntN(64, ~BigInt(int(x, 'bitnot'))))),
  ...COLLECTION_FUNCTIONS,
};

export const hasFunction = (name: string): boolean => Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
