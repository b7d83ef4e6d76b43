import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './tables.js';

/**
 * The one place where SQLite and PostgreSQL differ for Gantry: how a claim locks
 * rows, how a batch of rows or values is passed in one parameter, and how text
 * search is spelled.
 * Everything else is plain Kysely.
 */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Row-lock suffix for the claim's inner select. PostgreSQL: SKIP LOCKED, so several
 * servers can claim at once. SQLite has a single writer, so the claim's
 * UPDATE … WHERE state = 'pending' is already atomic.
 */
export function claimLock(dialect: SqlDialect): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`for update skip locked` : sql``;
}

/**
 * PostgreSQL claims in one statement (a locking, skipping read inside the
 * update), so that several servers can claim at once. SQLite has one writer and
 * builds temporary tables for that statement's ordered subqueries (tens of µs,
 * the cost of the whole claim several times over), so it reads the candidates
 * and updates them by id in the same transaction.
 */
export function claimsInOneStatement(dialect: SqlDialect): boolean {
  return dialect === 'postgres';
}

/**
 * Whether a batch of row changes goes as one statement over a JSON recordset
 * (PostgreSQL: one round trip for the batch) or as one small statement per row
 * (SQLite: no round trips, and per-row statements skip the JSON parse and the
 * temporary table an UPDATE … FROM builds, about half the cost here).
 */
export function updatesAsRecordset(dialect: SqlDialect): boolean {
  return dialect === 'postgres';
}

/** True when the JSON array of strings in `column` holds any of `values`, exactly. */
export function jsonArrayHasAny(dialect: SqlDialect, column: string, values: readonly string[]): RawBuilder<boolean> {
  if (dialect === 'postgres') {
    return sql<boolean>`exists (select 1 from jsonb_array_elements_text(${sql.ref(column)}::jsonb) as e(v) where e.v = any(${[...values]}::text[]))`;
  }
  return sql<boolean>`exists (select 1 from json_each(${sql.ref(column)}) where value in (${sql.join([...values])}))`;
}

/**
 * A list of values bound as one parameter, so that a statement's text is the
 * same for any number of them (compiled once, parsed once per PostgreSQL
 * connection): PostgreSQL binds an array, SQLite its JSON text.
 */
export function arrayParam(dialect: SqlDialect, values: readonly unknown[]): unknown {
  return dialect === 'postgres' ? values : JSON.stringify(values);
}

/** The elements of such a text parameter as rows, aliased `e`: each `value`, and `order`, its position. */
export function textElements(dialect: SqlDialect, param: unknown): { from: RawBuilder<unknown>; value: RawBuilder<unknown>; order: RawBuilder<unknown> } {
  if (dialect === 'postgres') return { from: sql`unnest(${param}::text[]) with ordinality as e(value, n)`, value: sql`e.value`, order: sql`e.n` };
  return { from: sql`json_each(${param}) as e`, value: sql`e.value`, order: sql`e.key` };
}

/** True when `column` (an integer) is one of the values of such a parameter, spelled so that an index on it is searched. */
export function inIntegerArray(dialect: SqlDialect, column: string, param: unknown): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`${sql.ref(column)} = any(${param}::bigint[])` : sql<boolean>`${sql.ref(column)} in (select value from json_each(${param}))`;
}

/** Case-insensitive substring match, spelled the same on both databases. */
export function containsInsensitive(column: string, needle: string): RawBuilder<boolean> {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

export type Db = Kysely<Database>;

/** A column's type as PostgreSQL's `jsonb_to_recordset` must be told it. */
export type RecordsetType = 'text' | 'integer' | 'bigint' | 'real';

/** Rows passed as one JSON parameter and read back as a table: see `jsonRecordset`. */
export interface JsonRecordset {
  /** The FROM item, aliased `v`. */
  from: RawBuilder<unknown>;
  /** One field of the current row. */
  field(name: string): RawBuilder<unknown>;
  /** `target = v.id`, spelled so that the target table is searched by its index. */
  joinsOn(target: string): RawBuilder<boolean>;
}

/**
 * Rows sent as a single JSON array parameter and read as a table: PostgreSQL's
 * `jsonb_to_recordset`, SQLite's `json_each`. The statement text is the same for
 * any number of rows, so a batch of changes costs one statement and one round
 * trip. `params.json` binds the rows (each with a text `id`), `params.ids` their
 * ids as an array; `columns` are Gantry's own column names, never user input.
 */
export function jsonRecordset(dialect: SqlDialect, params: { json: unknown; ids: unknown }, columns: Readonly<Record<string, RecordsetType>>): JsonRecordset {
  if (dialect === 'postgres') {
    const definition = sql.raw(Object.entries({ id: 'text', ...columns }).map(([name, type]) => `${name} ${type}`).join(', '));
    return {
      from: sql`jsonb_to_recordset(${params.json}::jsonb) as v(${definition})`,
      field: (name) => sql.ref(`v.${name}`),
      // PostgreSQL cannot tell how many rows a JSON recordset has and may scan the
      // whole target table to hash-join it; the id list makes it an index search.
      joinsOn: (target) => sql<boolean>`${sql.ref(target)} = v.id and ${sql.ref(target)} = any(${params.ids}::text[])`,
    };
  }
  return {
    from: sql`json_each(${params.json}) as v`,
    field: (name) => sql`v.value ->> ${sql.lit(name)}`,
    joinsOn: (target) => sql<boolean>`${sql.ref(target)} = v.value ->> 'id'`,
  };
}

/** The values a JSON recordset binds for these rows (`ids` is unused on SQLite). */
export function recordsetParams(rows: ReadonlyArray<{ id: string }>): { json: string; ids: string[] } {
  return { json: JSON.stringify(rows), ids: rows.map((row) => row.id) };
}
