import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { GantryError } from '../core/errors.js';
import type { Db, SqlDialect } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import { statementName } from './prepared.js';

export interface Store {
  db: Db;
  dialect: SqlDialect;
  /** Where the data lives, for logs: a file path or a URL without its password. */
  location: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** `postgres://…`, `postgresql://…`, `sqlite:<path>`, or unset for `<dataDir>/gantry.db`. */
  database?: string;
  dataDir: string;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** Told about errors of idle pooled connections (the pool replaces them). */
  onConnectionError?: (error: Error) => void;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

function openSqlite(path: string): Store {
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(path);
  } catch (error) {
    throw new GantryError('unavailable', `cannot open SQLite database ${path}: ${(error as Error).message}`, { cause: error });
  }
  // WAL lets readers run beside the single writer; NORMAL sync is durable across
  // process crashes (the case SIGKILL tests), at the cost of the last commit on power loss.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Kysely prepares every query anew; the same few statements run for every task, so
  // keep their prepared form (bounded: ad-hoc queries such as searches vary).
  const statements = new Map<string, SQLite.Statement>();
  const database = {
    close: () => sqlite.close(),
    prepare: (sql: string): SQLite.Statement => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (statements.size >= 500) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  const db: Db = new Kysely({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', location: path, close: () => db.destroy() };
}

function openPostgres(url: string, poolSize: number, onConnectionError: (error: Error) => void): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // int8 (epoch milliseconds, serial ids) as JS numbers: all fit below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A connection dropped while idle (the server restarted, say) must not crash Gantry; the pool replaces it.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => namePreparedStatements(client));
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', location: redactUrl(url), close: () => db.destroy() };
}

/**
 * Sends the hot statements (see prepared.ts) as named statements, which the
 * connection parses once; everything else goes as before.
 */
function namePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown): unknown => {
    const name = typeof text === 'string' ? statementName(text) : undefined;
    if (name === undefined) return query(text, values, callback);
    return callback === undefined ? query({ name, text, values }) : query({ name, text, values }, callback);
  };
}

/** Opens the configured database and brings its schema up to date. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.database;
  let store: Store;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    store = openPostgres(url, options.poolSize ?? 10, options.onConnectionError ?? (() => undefined));
  } else if (url && !url.startsWith('sqlite:')) {
    throw new GantryError('invalid_input', `database URL must start with postgres://, postgresql:// or sqlite: (got "${url.split(':')[0]}:…")`);
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    store = openSqlite(url ? url.slice('sqlite:'.length) : join(options.dataDir, 'gantry.db'));
  }
  try {
    await migrateToLatest(store.db as never, store.dialect);
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof GantryError) throw error;
    throw new GantryError('unavailable', `cannot reach the database at ${store.location}: ${(error as Error).message}`, { cause: error });
  }
  return store;
}
