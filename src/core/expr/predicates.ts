import { sortValues } from './collections.js';
import { describe, isMap, list, num, truthy } from './values.js';

/** Runs a predicate's body for one element: `#` is the element, `#index` its index, `#acc` the accumulator. */
export type RunPredicate = (element: unknown, index: number, acc?: unknown) => unknown;

/** What each argument of a predicate built-in is; optional ones may be left out. */
export type ArgKind = 'expr' | 'predicate' | 'predicate?' | 'expr?';

export interface PredicateFunction {
  args: ArgKind[];
  /** `run` is undefined only when an optional predicate was left out. */
  call(items: unknown, run: RunPredicate | undefined, rest: unknown[]): unknown;
}

/** expr-lang iterates lists, and maps by their values. */
function elements(value: unknown, name: string): unknown[] {
  if (isMap(value)) return Object.values(value);
  return list(value, name);
}

const each = (args: ArgKind[], call: (items: unknown[], run: RunPredicate, rest: unknown[]) => unknown, name: string): PredicateFunction => ({
  args,
  call: (items, run, rest) => call(elements(items, name), run!, rest),
});

function findIndex(items: unknown[], run: RunPredicate, fromEnd: boolean): number {
  for (let step = 0; step < items.length; step++) {
    const index = fromEnd ? items.length - 1 - step : step;
    if (truthy(run(items[index], index))) return index;
  }
  return -1;
}

/** expr-lang's predicate built-ins (`filter(list, # > 1)`, `map(list, .name)`, …). */
export const PREDICATES: Record<string, PredicateFunction> = {
  all: each(['expr', 'predicate'], (items, run) => items.every((item, index) => truthy(run(item, index))), 'all'),
  none: each(['expr', 'predicate'], (items, run) => !items.some((item, index) => truthy(run(item, index))), 'none'),
  any: each(['expr', 'predicate'], (items, run) => items.some((item, index) => truthy(run(item, index))), 'any'),
  one: each(['expr', 'predicate'], (items, run) => items.filter((item, index) => truthy(run(item, index))).length === 1, 'one'),
  filter: each(['expr', 'predicate'], (items, run) => items.filter((item, index) => truthy(run(item, index))), 'filter'),
  map: each(['expr', 'predicate'], (items, run) => items.map((item, index) => run(item, index)), 'map'),
  find: each(['expr', 'predicate'], (items, run) => items[findIndex(items, run, false)] ?? null, 'find'),
  findIndex: each(['expr', 'predicate'], (items, run) => findIndex(items, run, false), 'findIndex'),
  findLast: each(['expr', 'predicate'], (items, run) => items[findIndex(items, run, true)] ?? null, 'findLast'),
  findLastIndex: each(['expr', 'predicate'], (items, run) => findIndex(items, run, true), 'findLastIndex'),
  count: {
    args: ['expr', 'predicate?'],
    call: (items, run) => elements(items, 'count').filter((item, index) => truthy(run ? run(item, index) : item)).length,
  },
  sum: {
    args: ['expr', 'predicate?'],
    call: (items, run) => elements(items, 'sum').reduce<number>((total, item, index) => total + num(run ? run(item, index) : item, 'sum'), 0),
  },
  groupBy: each(
    ['expr', 'predicate'],
    (items, run) => {
      const groups: Record<string, unknown[]> = {};
      items.forEach((item, index) => {
        const key = run(item, index);
        const name = typeof key === 'string' ? key : key === null || key === undefined ? '<nil>' : typeof key === 'object' ? JSON.stringify(key) : String(key);
        if (name === '__proto__') throw new Error('groupBy: the key "__proto__" is not allowed');
        (groups[name] ??= []).push(item);
      });
      return groups;
    },
    'groupBy',
  ),
  sortBy: each(
    ['expr', 'predicate', 'expr?'],
    (items, run, [order]) => sortValues(items, order, 'sortBy', items.map((item, index) => run(item, index))),
    'sortBy',
  ),
  reduce: {
    args: ['expr', 'predicate', 'expr?'],
    call: (items, run, rest) => {
      const all = elements(items, 'reduce');
      const hasInitial = rest.length > 0;
      if (!hasInitial && all.length === 0) throw new Error(`reduce: the list is empty and there is no initial value (got ${describe(items)})`);
      let acc = hasInitial ? rest[0] : all[0];
      for (let index = hasInitial ? 0 : 1; index < all.length; index++) acc = run!(all[index], index, acc);
      return acc;
    },
  },
};

export const isPredicate = (name: string): boolean => Object.prototype.hasOwnProperty.call(PREDICATES, name);
