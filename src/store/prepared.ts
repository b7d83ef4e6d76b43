import type { CompiledQuery, Compilable, QueryResult } from 'kysely';
import type { Db } from './dialect.js';

/** Stands for the argument at `path` (`name`, or `name.0` into an array) when a prepared query runs. */
export type Arg = <T = unknown>(path: string) => T;

const MARK = '\u0000gantry-arg:';

/** SQL texts of prepared queries, by the name a PostgreSQL connection prepares them under. */
const statementNames = new Map<string, string>();

/**
 * The server-side statement name for a prepared query's SQL, else undefined.
 * PostgreSQL then parses each hot statement once per connection and can keep
 * its plan, instead of parsing and planning it on every run.
 */
export function statementName(sqlText: string): string | undefined {
  return statementNames.get(sqlText);
}

type Slot = { path: readonly string[] } | { value: unknown };

interface Compiled<R> {
  compiled: CompiledQuery<R>;
  slots: Slot[];
}

/**
 * A hot statement built and compiled once per shape, then run with new values.
 * Kysely builds and compiles every query afresh — 10 to 100 µs of JavaScript
 * for the engine's statements, more than SQLite takes to run them — while these
 * statements only ever change their values. `build` receives `arg` placeholders
 * to use in place of values, and the first call's arguments to read only what
 * `shapeOf` covers: what changes the SQL text (how many queues, say). A shape of
 * undefined is too rare to keep. Compiled forms are
 * kept per database (dialect adapter).
 */
export function prepared<A extends object, R>(
  build: (db: Db, arg: Arg, shapeArgs: A) => Compilable<R>,
  shapeOf: (args: A) => string | undefined = () => '',
): (db: Db, args: A) => Promise<QueryResult<R>> {
  const byAdapter = new WeakMap<object, Map<string, Compiled<R>>>();
  return (db, args) => {
    const adapter = db.getExecutor().adapter;
    let shapes = byAdapter.get(adapter);
    if (!shapes) {
      shapes = new Map();
      byAdapter.set(adapter, shapes);
    }
    const shape = shapeOf(args);
    let entry = shape === undefined ? undefined : shapes.get(shape);
    if (!entry) {
      const compiled = build(db, (path) => `${MARK}${path}` as never, args).compile();
      const slots = compiled.parameters.map((value): Slot =>
        typeof value === 'string' && value.startsWith(MARK) ? { path: value.slice(MARK.length).split('.') } : { value },
      );
      entry = { compiled, slots };
      if (shape !== undefined) {
        shapes.set(shape, entry);
        if (!statementNames.has(compiled.sql)) statementNames.set(compiled.sql, `gantry_${statementNames.size + 1}`);
      }
    }
    const parameters = entry.slots.map((slot) => ('path' in slot ? valueAt(args, slot.path) : slot.value));
    return db.executeQuery<R>({ ...entry.compiled, parameters });
  };
}

function valueAt(args: object, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const key of path) value = (value as Record<string, unknown>)[key];
  if (value === undefined) throw new Error(`prepared query argument ${path.join('.')} is missing`);
  return value;
}
