/**
 * Value helpers shared by the evaluator and the functions: how values are
 * described in errors, compared, counted and checked. Values are plain data
 * (strings, numbers, booleans, null, arrays, plain objects).
 */

const ZERO_VALUE = Symbol('zero-value map');

/**
 * A map whose missing keys read as "" rather than nil. Tork's `inputs`, `secrets`,
 * `tasks` and `job` are Go `map[string]string`, where a missing key yields the
 * zero value: `inputs.missing == ''` holds in Tork, and so it does here.
 */
export function stringMap(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...record };
  Object.defineProperty(out, ZERO_VALUE, { value: true, enumerable: false });
  return out;
}

export function isStringMap(value: object): boolean {
  return (value as Record<symbol, unknown>)[ZERO_VALUE] === true;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

export function truthy(value: unknown): boolean {
  return !(value === false || value === null || value === undefined || value === 0 || value === '');
}

export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export function lengthOf(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isMap(value)) return Object.keys(value).length;
  throw new Error(`len: expected a string, list or map, got ${describe(value)}`);
}

export function int(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new Error(`${name}: expected an integer, got ${describe(value)}`);
  return number;
}

export function num(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new Error(`${name}: expected a number, got ${describe(value)}`);
  return value;
}

export function str(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`${name}: expected a string, got ${describe(value)}`);
  return value;
}

export function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${name}: expected a list, got ${describe(value)}`);
  return value;
}

export function map(value: unknown, name: string): Record<string, unknown> {
  if (!isMap(value)) throw new Error(`${name}: expected a map, got ${describe(value)}`);
  return value;
}

/** Orders two numbers or two strings (as `<` does); anything else is an error. */
export function compare(a: unknown, b: unknown, what: string): number {
  if ((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  throw new Error(`${what} cannot compare ${describe(a)} and ${describe(b)}`);
}

/** The longest list or string an expression may build (ranges, repeat, sequence). */
export const MAX_ITEMS = 100_000;
export const MAX_STRING = 1_000_000;
