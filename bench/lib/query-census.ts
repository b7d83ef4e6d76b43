/**
 * Counts the SQL statements this process sends, by statement, for the queue
 * benchmark's BENCH_QUERIES=1 mode: how many statements one job costs is the
 * number the database work scales with. It wraps `pg`'s Client#query (Gantry's
 * pool and graphile-worker's both use it) and better-sqlite3's statement methods
 * (timing those too: SQLite runs on the event loop). Benchmark-only instrumentation.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';

interface Tally {
  count: number;
  /** SQLite only: time spent in the statement, synchronously. */
  ms: number;
}

const tallies = new Map<string, Tally>();
let counting = false;

/** One key per statement shape: whitespace collapsed, parameter lists folded, cut short. */
function shape(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').replace(/\(\s*\$\d+(\s*,\s*\$\d+)+\s*\)/g, '($…)').replace(/\(\?(, \?)+\)/g, '(?…)').trim();
  return text.length > 110 ? `${text.slice(0, 110)}…` : text;
}

function tally(sql: string | undefined, ms = 0): void {
  if (!counting || sql === undefined) return;
  const key = shape(sql);
  const entry = tallies.get(key);
  if (entry) {
    entry.count++;
    entry.ms += ms;
  } else {
    tallies.set(key, { count: 1, ms });
  }
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    tally(typeof config === 'string' ? config : config?.text);
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;

  const probe = new SQLite(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get']) {
    const original = statementProto[method]!;
    statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        tally(this.source, performance.now() - start);
      }
    };
  }
}

/** Starts counting; the returned function stops and gives the statements, most frequent first. */
export function countStatements(): () => Array<{ sql: string } & Tally> {
  install();
  tallies.clear();
  counting = true;
  return () => {
    counting = false;
    return [...tallies.entries()].map(([sql, t]) => ({ sql, ...t })).sort((a, b) => b.count - a.count);
  };
}

/** Prints statements per job (and SQLite time per job) for the `jobs` that ran. */
export function printStatements(label: string, statements: Array<{ sql: string } & Tally>, jobs: number): void {
  const total = statements.reduce((sum, s) => sum + s.count, 0);
  const ms = statements.reduce((sum, s) => sum + s.ms, 0);
  console.log(`    ${label}: ${(total / jobs).toFixed(2)} statements per job${ms > 0 ? `, ${((ms * 1000) / jobs).toFixed(0)} µs of SQLite per job` : ''}`);
  for (const s of statements.slice(0, 14)) {
    const time = s.ms > 0 ? ` ${((s.ms * 1000) / jobs).toFixed(0).padStart(4)} µs/job` : '';
    console.log(`      ${(s.count / jobs).toFixed(3).padStart(7)}/job${time}  ${s.sql}`);
  }
}
