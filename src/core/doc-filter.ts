import { invalidInput } from './errors.js';
import { resolveFieldPath, type FieldPath } from './workflow-fields.js';
import type { WorkflowCollection } from './workflow.js';

/**
 * The MongoDB filter syntax of EWMS's query routes, checked and turned into a
 * tree the store compiles to SQL. Supported: equality, `$eq`, `$ne`, `$in`,
 * `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, `$exists`, and `$and`, `$or`, `$nor`.
 * Anything else starting with `$` is refused, so no operator is silently ignored.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type CompareOp = 'gt' | 'gte' | 'lt' | 'lte';

/** What a field condition asks of the value found at its path (the negative operators are `not` around these). */
export type FieldTest =
  /** MongoDB equality with any of the values: the value itself, or an element of an array; `null` also matches a missing field. */
  | { readonly kind: 'equals'; readonly values: readonly JsonValue[] }
  /** A number against a number or a string against a string (by code point); other types never match. */
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly bound: number | string }
  /** The field is present, whatever its value (null included). */
  | { readonly kind: 'exists' };

export type DocFilter =
  /** All of the filters; none matches every document. */
  | { readonly kind: 'and'; readonly filters: readonly DocFilter[] }
  | { readonly kind: 'or'; readonly filters: readonly DocFilter[] }
  | { readonly kind: 'not'; readonly filter: DocFilter }
  | { readonly kind: 'field'; readonly path: FieldPath; readonly test: FieldTest };

/** Bounds on one query, so that no request builds an unbounded statement. */
export const DOC_FILTER_LIMITS = {
  /** Levels of `$and`/`$or`/`$nor` (the query itself is level 1), and levels of arrays and objects in a value. */
  depth: 6,
  /** Operators and equalities, plus one per node of each array or object value compared. */
  conditions: 100,
  /** Values in one `$in` or `$nin` list. */
  inValues: 1000,
} as const;

const COMPARE_OPS: Readonly<Record<string, CompareOp>> = { $gt: 'gt', $gte: 'gte', $lt: 'lt', $lte: 'lte' };
const LOGICAL_OPS = new Set(['$and', '$or', '$nor']);
const FIELD_OPS = new Set(['$eq', '$ne', '$in', '$nin', '$exists', ...Object.keys(COMPARE_OPS)]);

interface Budget {
  conditions: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function charge(budget: Budget, conditions: number): void {
  budget.conditions += conditions;
  if (budget.conditions > DOC_FILTER_LIMITS.conditions) throw invalidInput(`query has more than ${DOC_FILTER_LIMITS.conditions} conditions`);
}

const tooDeep = () => invalidInput(`query nests deeper than ${DOC_FILTER_LIMITS.depth} levels`);

/** The number of JSON nodes in a value, after checking that it is one. */
function jsonWeight(value: unknown, field: string, depth = 1): number {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return 1;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidInput(`invalid value in the condition on ${field}`);
    return 1;
  }
  const items = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : undefined;
  if (items === undefined) throw invalidInput(`invalid value in the condition on ${field}`);
  if (depth > DOC_FILTER_LIMITS.depth) throw tooDeep();
  return items.reduce<number>((sum, item) => sum + jsonWeight(item, field, depth + 1), 1);
}

const isContainer = (value: JsonValue): boolean => typeof value === 'object' && value !== null;

/** Parses a query route's `query` for one collection; throws `invalid_input` naming what is wrong. */
export function parseDocFilter(collection: WorkflowCollection, query: unknown): DocFilter {
  if (!isPlainObject(query)) throw invalidInput(`invalid 'query': must be an object`);
  return parseFilter(collection, query, 1, { conditions: 0 });
}

function parseFilter(collection: WorkflowCollection, filter: Record<string, unknown>, depth: number, budget: Budget): DocFilter {
  if (depth > DOC_FILTER_LIMITS.depth) throw tooDeep();
  // An empty filter inside $and/$or/$nor still costs SQL, so it counts too.
  if (depth > 1 && Object.keys(filter).length === 0) charge(budget, 1);
  const parts = Object.entries(filter).map(([key, condition]) =>
    key.startsWith('$') ? parseLogical(collection, key, condition, depth, budget) : parseField(collection, key, condition, budget),
  );
  return parts.length === 1 ? parts[0]! : { kind: 'and', filters: parts };
}

function parseLogical(collection: WorkflowCollection, op: string, operand: unknown, depth: number, budget: Budget): DocFilter {
  if (!LOGICAL_OPS.has(op)) {
    if (FIELD_OPS.has(op)) throw invalidInput(`operator ${op} must be inside a field condition, as in {"field": {"${op}": ...}}`);
    throw invalidInput(`unknown query operator: ${op}`);
  }
  if (!Array.isArray(operand) || operand.length === 0) throw invalidInput(`${op} needs a non-empty array of filters`);
  const filters = operand.map((item: unknown) => {
    if (!isPlainObject(item)) throw invalidInput(`${op} needs a non-empty array of filters`);
    return parseFilter(collection, item, depth + 1, budget);
  });
  if (op === '$and') return { kind: 'and', filters };
  const any: DocFilter = { kind: 'or', filters };
  return op === '$or' ? any : { kind: 'not', filter: any };
}

function parseField(collection: WorkflowCollection, name: string, condition: unknown, budget: Budget): DocFilter {
  const path = resolveFieldPath(collection, name);
  if (path === undefined) throw invalidInput(`unknown field in query: ${name}`);
  const keys = isPlainObject(condition) ? Object.keys(condition) : [];
  if (!keys.some((key) => key.startsWith('$'))) {
    charge(budget, jsonWeight(condition, name));
    return { kind: 'field', path, test: { kind: 'equals', values: [condition as JsonValue] } };
  }
  if (keys.some((key) => !key.startsWith('$'))) throw invalidInput(`invalid condition on ${name}: operators and plain fields cannot be mixed`);
  const parts = Object.entries(condition as Record<string, unknown>).map(([op, operand]) => parseOperator(name, path, op, operand, budget));
  return parts.length === 1 ? parts[0]! : { kind: 'and', filters: parts };
}

function parseOperator(name: string, path: FieldPath, op: string, operand: unknown, budget: Budget): DocFilter {
  const field = (test: FieldTest): DocFilter => ({ kind: 'field', path, test });
  const not = (filter: DocFilter): DocFilter => ({ kind: 'not', filter });
  switch (op) {
    case '$eq':
    case '$ne': {
      charge(budget, jsonWeight(operand, name));
      const equals = field({ kind: 'equals', values: [operand as JsonValue] });
      return op === '$eq' ? equals : not(equals);
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) throw invalidInput(`${op} on ${name} needs an array`);
      if (operand.length > DOC_FILTER_LIMITS.inValues) throw invalidInput(`${op} on ${name} takes at most ${DOC_FILTER_LIMITS.inValues} values`);
      // Scalars in a list are compared as one set; arrays and objects one by one.
      const values = operand as JsonValue[];
      const weights = values.map((value) => jsonWeight(value, name, 2));
      charge(budget, values.reduce<number>((sum, value, i) => sum + (isContainer(value) ? weights[i]! : 0), 1));
      const equals = field({ kind: 'equals', values });
      return op === '$in' ? equals : not(equals);
    }
    case '$exists': {
      if (typeof operand !== 'boolean') throw invalidInput(`$exists on ${name} needs true or false`);
      charge(budget, 1);
      const exists = field({ kind: 'exists' });
      return operand ? exists : not(exists);
    }
    default: {
      const compare = COMPARE_OPS[op];
      if (compare === undefined) {
        if (LOGICAL_OPS.has(op)) throw invalidInput(`operator ${op} must be at the top of a filter, not inside the condition on ${name}`);
        throw invalidInput(`unknown query operator: ${op}`);
      }
      if (typeof operand !== 'string' && (typeof operand !== 'number' || !Number.isFinite(operand))) {
        throw invalidInput(`${op} on ${name} needs a number or a string`);
      }
      charge(budget, 1);
      return field({ kind: 'compare', op: compare, bound: operand });
    }
  }
}
