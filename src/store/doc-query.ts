import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { parseDocFilter, type CompareOp, type DocFilter, type FieldTest, type JsonValue } from '../core/doc-filter.js';
import { parseDocProjection, projectDoc } from '../core/doc-projection.js';
import { invalidInput } from '../core/errors.js';
import type { PathStep } from '../core/workflow-fields.js';
import type { WorkflowCollection } from '../core/workflow.js';
import type { Db, SqlDialect } from './dialect.js';

/**
 * EWMS's query routes over the stored documents: a MongoDB filter compiled to
 * SQL (SQLite's JSON functions, PostgreSQL's jsonb), pages in `seq` order with
 * an opaque cursor. Every value and every key of a field path is a bound
 * parameter; field paths are checked against the documents' fields first.
 */

/** One page of a query route's answer. */
export interface DocPage {
  docs: Record<string, unknown>[];
  /** The `after` of the next page; null when nothing more matches. */
  nextAfter: string | null;
}

/** A query route's body as received: each part is checked here. */
export interface DocQueryRequest {
  query: unknown;
  projection?: unknown;
  after?: unknown;
}

export interface DocQueryOptions {
  /** Documents in a page, at most (≥ 1). */
  pageRows: number;
  /** Bytes of the page's JSON array of documents, at most, unless its first document alone is bigger (≥ 1). */
  pageBytes: number;
  /** Only documents of this owner's workflows. Unset: everyone's. */
  owner?: string;
}

const TABLES = { workflows: 'wf_workflows', 'task-directives': 'wf_task_directives', taskforces: 'wf_taskforces' } as const;

type Sql = RawBuilder<unknown>;

/** How one database reads a JSON value `V` somewhere in a document (or a missing one). Each test is true or false, never NULL, so that `not` is safe. */
interface JsonSql<V> {
  root: V;
  at(value: V, steps: readonly PathStep[]): V;
  present(value: V): Sql;
  isArray(value: V): Sql;
  /** Exactly equal to one of the (non-empty) values: no array semantics. */
  equalsAny(value: V, values: readonly JsonValue[]): Sql;
  compare(value: V, op: CompareOp, bound: number | string): Sql;
  someElement(value: V, test: (element: V) => Sql): Sql;
}

const SYMBOLS: Readonly<Record<CompareOp, Sql>> = { gt: sql.raw('>'), gte: sql.raw('>='), lt: sql.raw('<'), lte: sql.raw('<=') };

const anyOf = (parts: readonly Sql[]): Sql => (parts.length === 0 ? sql`false` : sql`(${sql.join(parts, sql` or `)})`);

/**
 * SQLite: a value is its `json_type` and its `json_extract` (the SQL value of a
 * scalar, the JSON text of an array or object); one reached from the document
 * by a path also keeps the path, so that deeper steps extend it. Keys are
 * quoted as JSON strings in paths, which the bundled SQLite reads with escapes.
 */
type SqliteValue = { type: Sql; value: Sql; path?: string };

function sqliteJson(doc: Sql, nextAlias: () => string): JsonSql<SqliteValue> {
  type V = SqliteValue;
  // json_each and json_type parse their argument: only an array's or object's value is JSON text (an element's string is not).
  const jsonOf = (v: V, kind: 'array' | 'object' | 'container'): Sql => {
    const types = kind === 'container' ? sql`in ('array', 'object')` : sql`= ${sql.lit(kind)}`;
    return sql`(case when ${v.type} ${types} then ${v.value} end)`;
  };
  const element = (alias: string): V => ({ type: sql.ref(`${alias}.type`), value: sql.ref(`${alias}.value`) });
  const inList = (list: readonly (string | number)[]): Sql =>
    list.length === 1 ? sql`= ${list[0]}` : sql`in (select value from json_each(${JSON.stringify(list)}))`;

  // Compared member by member, so that key order does not matter, as on PostgreSQL.
  const equalsContainer = (v: V, container: JsonValue[] | { [key: string]: JsonValue }): Sql => {
    const kind = Array.isArray(container) ? 'array' : 'object';
    const json = jsonOf(v, kind);
    const members: Array<[string | number, JsonValue]> = Array.isArray(container) ? container.map((item, i) => [i, item]) : Object.entries(container);
    const size = kind === 'array' ? sql`json_array_length(${json})` : sql`(select count(*) from json_each(${json}))`;
    const each = members.map(([key, item]) => {
      const alias = nextAlias();
      return sql` and exists (select 1 from json_each(${json}) as ${sql.id(alias)} where ${sql.ref(`${alias}.key`)} = ${key} and ${api.equalsAny(element(alias), [item])})`;
    });
    return sql`(${v.type} = ${sql.lit(kind)} and ${size} = ${members.length}${sql.join(each, sql``)})`;
  };

  const api: JsonSql<V> = {
    root: { type: sql`'object'`, value: doc, path: '$' },
    at(v, steps) {
      if (steps.length === 0) return v;
      const suffix = steps.map((step) => ('key' in step ? `.${JSON.stringify(step.key)}` : `[${step.index}]`)).join('');
      if (v.path !== undefined) {
        const path = v.path + suffix;
        return { type: sql`json_type(${doc}, ${path})`, value: sql`json_extract(${doc}, ${path})`, path };
      }
      const base = jsonOf(v, 'container');
      return { type: sql`json_type(${base}, ${'$' + suffix})`, value: sql`json_extract(${base}, ${'$' + suffix})` };
    },
    present: (v) => sql`(${v.type} is not null)`,
    isArray: (v) => sql`coalesce(${v.type} = 'array', false)`,
    equalsAny(v, values) {
      const strings = values.filter((x): x is string => typeof x === 'string');
      const numbers = values.filter((x): x is number => typeof x === 'number');
      const parts: Sql[] = [];
      if (strings.length > 0) parts.push(sql`(${v.type} = 'text' and ${v.value} ${inList(strings)})`);
      if (numbers.length > 0) parts.push(sql`(${v.type} in ('integer', 'real') and ${v.value} ${inList(numbers)})`);
      if (values.includes(true)) parts.push(sql`${v.type} = 'true'`);
      if (values.includes(false)) parts.push(sql`${v.type} = 'false'`);
      if (values.includes(null)) parts.push(sql`${v.type} = 'null'`);
      for (const x of values) if (typeof x === 'object' && x !== null) parts.push(equalsContainer(v, x));
      return sql`coalesce(${anyOf(parts)}, false)`;
    },
    compare(v, op, bound) {
      const types = typeof bound === 'number' ? sql`('integer', 'real')` : sql`('text')`;
      return sql`coalesce(${v.type} in ${types} and ${v.value} ${SYMBOLS[op]} ${bound}, false)`;
    },
    someElement(v, test) {
      const alias = nextAlias();
      return sql`exists (select 1 from json_each(${jsonOf(v, 'array')}) as ${sql.id(alias)} where ${test(element(alias))})`;
    },
  };
  return api;
}

/** PostgreSQL: a value is a jsonb expression, SQL NULL when missing. Strings compare by code point (collation "C"), as in MongoDB and SQLite. */
function postgresJson(doc: Sql, nextAlias: () => string): JsonSql<Sql> {
  return {
    root: doc,
    // One step at a time: `#>` would read a numeric key as an array position, and `-> int` reads a scalar as a one-element array.
    at: (v, steps) =>
      steps.reduce<Sql>(
        (x, step) => ('key' in step ? sql`(${x} -> ${step.key}::text)` : sql`(case when jsonb_typeof(${x}) = 'array' then ${x} -> ${step.index}::int end)`),
        v,
      ),
    present: (v) => sql`(${v} is not null)`,
    isArray: (v) => sql`coalesce(jsonb_typeof(${v}) = 'array', false)`,
    equalsAny: (v, values) =>
      values.length === 1
        ? sql`coalesce(${v} = ${JSON.stringify(values[0])}::jsonb, false)`
        : sql`coalesce(${v} in (select jsonb_array_elements(${JSON.stringify(values)}::jsonb)), false)`,
    compare: (v, op, bound) =>
      typeof bound === 'number'
        ? sql`coalesce(jsonb_typeof(${v}) = 'number' and ${v} ${SYMBOLS[op]} ${JSON.stringify(bound)}::jsonb, false)`
        : sql`coalesce(jsonb_typeof(${v}) = 'string' and (${v} #>> '{}') collate "C" ${SYMBOLS[op]} ${bound}::text, false)`,
    someElement(v, test) {
      const alias = nextAlias();
      return sql`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${v}) = 'array' then ${v} end) as ${sql.id(alias)}(v) where ${test(sql.ref(`${alias}.v`))})`;
    },
  };
}

// MongoDB equality and comparisons also match an element of an array; `null` also matches a missing field.
function fieldTest<V>(j: JsonSql<V>, v: V, test: FieldTest): Sql {
  switch (test.kind) {
    case 'exists':
      return j.present(v);
    case 'equals': {
      if (test.values.length === 0) return sql`false`;
      const parts = [j.equalsAny(v, test.values), j.someElement(v, (element) => j.equalsAny(element, test.values))];
      if (test.values.includes(null)) parts.push(sql`not ${j.present(v)}`);
      return anyOf(parts);
    }
    case 'compare':
      return anyOf([j.compare(v, test.op, test.bound), j.someElement(v, (element) => j.compare(element, test.op, test.bound))]);
  }
}

// Past an array of objects the rest of the path is taken in each element; a value that is not an array is walked as is.
function along<V>(j: JsonSql<V>, v: V, hops: readonly (readonly PathStep[])[], test: FieldTest): Sql {
  const here = j.at(v, hops[0]!);
  if (hops.length === 1) return fieldTest(j, here, test);
  const rest = hops.slice(1);
  return sql`(${j.someElement(here, (element) => along(j, element, rest, test))} or (not ${j.isArray(here)} and ${along(j, here, rest, test)}))`;
}

function compile<V>(j: JsonSql<V>, filter: DocFilter): Sql {
  switch (filter.kind) {
    case 'and':
      return filter.filters.length === 0 ? sql`true` : sql`(${sql.join(filter.filters.map((f) => compile(j, f)), sql` and `)})`;
    case 'or':
      return anyOf(filter.filters.map((f) => compile(j, f)));
    case 'not':
      return sql`(not ${compile(j, filter.filter)})`;
    case 'field':
      return along(j, j.root, filter.path, filter.test);
  }
}

/** The SQL condition for a parsed filter on a document column (a column name of ours, never input). */
export function docFilterSql(dialect: SqlDialect, filter: DocFilter, docColumn: string): RawBuilder<SqlBool> {
  let aliases = 0;
  const nextAlias = () => `e${++aliases}`;
  const doc = sql.ref(docColumn);
  const condition = dialect === 'postgres' ? compile(postgresJson(doc, nextAlias), filter) : compile(sqliteJson(doc, nextAlias), filter);
  return sql<SqlBool>`${condition}`;
}

interface Cursor {
  c: WorkflowCollection;
  s: number;
}

function encodeCursor(collection: WorkflowCollection, seq: number): string {
  const cursor: Cursor = { c: collection, s: seq };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function readCursor(after: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(after)) return undefined;
  try {
    const { c, s } = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as Partial<Cursor>;
    return typeof c === 'string' && typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? { c, s } : undefined;
  } catch {
    return undefined;
  }
}

/** The `seq` a cursor resumes after; undefined for the first page. */
function decodeCursor(collection: WorkflowCollection, after: unknown): number | undefined {
  // A client that sends back a final `next_after` of null asks for the first page.
  if (after === undefined || after === null) return undefined;
  if (typeof after !== 'string') throw invalidInput(`invalid 'after': must be a string`);
  const cursor = readCursor(after);
  if (cursor === undefined) throw invalidInput(`invalid 'after': malformed cursor`);
  if (cursor.c !== collection) throw invalidInput(`invalid 'after': not a cursor from this query route`);
  return cursor.s;
}

/**
 * One page of a collection's documents that match a query route's body, in
 * insertion order. Pages resume after the last `seq` answered, so paging
 * answers each matching document once; a document inserted meanwhile comes in a
 * later page (on PostgreSQL it may be missed if its insert commits after a later
 * one was already paged past). Throws `invalid_input` for a bad body.
 */
export async function findDocs(db: Db, dialect: SqlDialect, collection: WorkflowCollection, request: DocQueryRequest, options: DocQueryOptions): Promise<DocPage> {
  const { pageRows, pageBytes, owner } = options;
  if (!Number.isInteger(pageRows) || pageRows < 1 || !(pageBytes >= 1)) throw new Error(`findDocs: bad page limits ${pageRows} rows, ${pageBytes} bytes`);
  const filter = parseDocFilter(collection, request.query);
  const projection = parseDocProjection(collection, request.projection);
  const afterSeq = decodeCursor(collection, request.after);

  const table = TABLES[collection];
  let query = db
    .selectFrom(table)
    .select(['seq', 'doc'])
    .where(docFilterSql(dialect, filter, `${table}.doc`))
    .orderBy('seq')
    // One row past the page tells whether another page follows.
    .limit(pageRows + 1);
  if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
  if (owner !== undefined) {
    query = query.where(
      collection === 'workflows'
        ? sql<SqlBool>`${sql.ref(`${table}.owner_id`)} = ${owner}`
        : sql<SqlBool>`${sql.ref(`${table}.workflow_id`)} in (select w.workflow_id from wf_workflows as w where w.owner_id = ${owner})`,
    );
  }
  const rows = await query.execute();

  const docs: Record<string, unknown>[] = [];
  let bytes = 2;
  let lastSeq = 0;
  for (const row of rows) {
    if (docs.length === pageRows) return { docs, nextAfter: encodeCursor(collection, lastSeq) };
    const stored = (typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc) as Record<string, unknown>;
    const doc = projection ? projectDoc(stored, projection) : stored;
    const size = Buffer.byteLength(JSON.stringify(doc)) + (docs.length > 0 ? 1 : 0);
    // A page always holds one document, however big, or paging would never move on.
    if (docs.length > 0 && bytes + size > pageBytes) return { docs, nextAfter: encodeCursor(collection, lastSeq) };
    docs.push(doc);
    bytes += size;
    lastSeq = Number(row.seq);
  }
  return { docs, nextAfter: null };
}
