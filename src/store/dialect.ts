import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './tables.js';

/**
 * The one place where SQLite and PostgreSQL differ for Gantry: how a claim locks
 * rows and how text search is spelled. Everything else is plain Kysely.
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

/** Case-insensitive substring match, spelled the same on both databases. */
export function containsInsensitive(column: string, needle: string): RawBuilder<boolean> {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

export type Db = Kysely<Database>;
