import { invalidInput } from './errors.js';
import { resolveFieldPath } from './workflow-fields.js';
import type { WorkflowCollection } from './workflow.js';

/**
 * The `projection` of EWMS's query routes: the fields each answered document
 * keeps, nested as MongoDB keeps them (`worker_config.n_cores` answers
 * `{"worker_config": {"n_cores": 1}}`).
 */

/** Kept keys: `true` keeps the whole value, a nested projection keeps part of it. */
export type DocProjection = ReadonlyMap<string, true | DocProjection>;

/** More fields than any document has, counting a few map keys each. */
const MAX_FIELDS = 100;

/** Parses `projection`; undefined (or null) keeps whole documents. Throws `invalid_input` naming what is wrong. */
export function parseDocProjection(collection: WorkflowCollection, projection: unknown): DocProjection | undefined {
  if (projection === undefined || projection === null) return undefined;
  if (!Array.isArray(projection) || projection.length === 0 || !projection.every((field) => typeof field === 'string')) {
    throw invalidInput(`invalid 'projection': must be a non-empty array of field names`);
  }
  if (projection.length > MAX_FIELDS) throw invalidInput(`invalid 'projection': more than ${MAX_FIELDS} fields`);
  const root: Tree = new Map();
  for (const field of projection as string[]) {
    const path = resolveFieldPath(collection, field);
    if (path === undefined) throw invalidInput(`unknown field in projection: ${field}`);
    // MongoDB reads a number in a projection path as a key, which would keep nothing of an array.
    if (path.some((hop) => hop.some((step) => 'index' in step))) throw invalidInput(`array positions are not supported in projection: ${field}`);
    keep(root, field.split('.'));
  }
  return root;
}

type Tree = Map<string, true | Tree>;

// A whole field wins over parts of it, whichever is listed first.
function keep(tree: Tree, keys: readonly string[]): void {
  const [key, ...rest] = keys as [string, ...string[]];
  const existing = tree.get(key);
  if (existing === true) return;
  if (rest.length === 0) {
    tree.set(key, true);
    return;
  }
  const child: Tree = existing ?? new Map();
  tree.set(key, child);
  keep(child, rest);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A document with only the projected fields, in the document's own order. */
export function projectDoc(doc: Record<string, unknown>, projection: DocProjection): Record<string, unknown> {
  const kept: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(doc)) {
    const rule = projection.get(key);
    if (rule === true) kept.push([key, value]);
    else if (rule !== undefined && (isObject(value) || Array.isArray(value))) kept.push([key, projectPart(value, rule)]);
  }
  // fromEntries defines own properties, so a map key named `__proto__` stays a key.
  return Object.fromEntries(kept);
}

// Below a dotted projection, arrays keep their objects (projected) and nested arrays, and drop scalars.
function projectPart(value: Record<string, unknown> | unknown[], projection: DocProjection): Record<string, unknown> | unknown[] {
  if (!Array.isArray(value)) return projectDoc(value, projection);
  return value.filter((item) => isObject(item) || Array.isArray(item)).map((item) => projectPart(item as Record<string, unknown> | unknown[], projection));
}
