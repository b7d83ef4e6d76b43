import { sql } from 'kysely';
import { jsonRecordset, recordsetParams, updatesAsRecordset, type Db, type RecordsetType, type SqlDialect } from './dialect.js';
import { prepared } from './prepared.js';

/** One row's change: the columns to set, applied only while the row is still in `guard` state. */
export interface GuardedRowUpdate {
  id: string;
  guard: string;
  columns: Record<string, unknown>;
}

interface Shape {
  dialect: SqlDialect;
  table: 'jobs' | 'tasks';
  types: Readonly<Record<string, RecordsetType>>;
  columns: readonly string[];
  json: string;
  ids: string[];
}

/** One statement per table and set of columns, compiled once: the rows arrive as one JSON value. */
const updateRows = prepared<Shape, unknown>(
  (db, arg, { dialect, table, types, columns }) => {
    const recordset = jsonRecordset(dialect, { json: arg('json'), ids: arg('ids') }, {
      guard: 'text',
      ...Object.fromEntries(columns.map((column) => [column, typeOf(types, column)])),
    });
    const assignments = sql.join(columns.map((column) => sql`${sql.ref(column)} = ${recordset.field(column)}`));
    const statement = sql`update ${sql.table(table)} set ${assignments} from ${recordset.from}
      where ${recordset.joinsOn(`${table}.id`)} and ${sql.ref(`${table}.state`)} = ${recordset.field('guard')}`;
    return { compile: () => statement.compile(db) };
  },
  (shape) => `${shape.table}:${shape.columns.join(',')}`,
);

interface RowShape {
  table: 'jobs' | 'tasks';
  columns: readonly string[];
  values: Record<string, unknown>;
  id: string;
  guard: string;
}

/** The same change for one row: one statement per table and set of columns, compiled once. */
const updateRow = prepared<RowShape, unknown>(
  (db, arg, { table, columns }) => {
    const assignments = sql.join(columns.map((column) => sql`${sql.ref(column)} = ${arg(`values.${column}`)}`));
    const statement = sql`update ${sql.table(table)} set ${assignments} where ${sql.ref('id')} = ${arg('id')} and ${sql.ref('state')} = ${arg('guard')}`;
    return { compile: () => statement.compile(db) };
  },
  (shape) => `${shape.table}:${shape.columns.join(',')}`,
);

/**
 * Applies many guarded updates to `table`: on PostgreSQL in as few statements
 * as there are distinct sets of changed columns (usually one or two per batch),
 * each joined against the batch sent as one JSON parameter; on SQLite, which has
 * no round trips to save, one compiled statement per row. Returns how many rows matched
 * their guard: fewer than `updates.length` means another writer moved a row first.
 */
export async function updateGuarded(
  db: Db,
  dialect: SqlDialect,
  table: 'jobs' | 'tasks',
  types: Readonly<Record<string, RecordsetType>>,
  updates: readonly GuardedRowUpdate[],
): Promise<number> {
  const groups = new Map<string, GuardedRowUpdate[]>();
  for (const update of updates) {
    const key = Object.keys(update.columns).sort().join(',');
    const group = groups.get(key);
    if (group) group.push(update);
    else groups.set(key, [update]);
  }
  let matched = 0;
  for (const [key, group] of groups) {
    if (key === '') {
      // Nothing to change: the row only has to be in its guard state, which memory already checked.
      matched += group.length;
      continue;
    }
    const columns = key.split(',');
    if (!updatesAsRecordset(dialect)) {
      for (const update of group) {
        const result = await updateRow(db, { table, columns, values: update.columns, id: update.id, guard: update.guard });
        matched += Number(result.numAffectedRows ?? 0);
      }
      continue;
    }
    const rows = group.map((update) => ({ ...update.columns, id: update.id, guard: update.guard }));
    const result = await updateRows(db, { dialect, table, types, columns, ...recordsetParams(rows) });
    matched += Number(result.numAffectedRows ?? 0);
  }
  return matched;
}

function typeOf(types: Readonly<Record<string, RecordsetType>>, column: string): RecordsetType {
  const type = types[column];
  if (!type) throw new Error(`no recordset type for column ${column}`);
  return type;
}
