import { sql, type Updateable } from 'kysely';
import type { Task } from '../core/model.js';
import type { TaskState } from '../core/states.js';
import { claimLock, claimsInOneStatement, type Db, type RecordsetType, type SqlDialect } from './dialect.js';
import { updateGuarded } from './guarded-update.js';
import { prepared } from './prepared.js';
import { taskFromRow, taskToRow } from './mappers.js';
import type { TaskRow } from './tables.js';

export type TaskPatch = Partial<
  Pick<
    Task,
    | 'state'
    | 'attempt'
    | 'nodeId'
    | 'backendId'
    | 'exitCode'
    | 'error'
    | 'result'
    | 'progress'
    | 'completions'
    | 'size'
    | 'subjobId'
    | 'enqueuedAt'
    | 'runAfter'
    | 'scheduledAt'
    | 'startedAt'
    | 'completedAt'
    | 'failedAt'
    | 'runSpec'
  >
>;

function patchToRow(patch: TaskPatch): Updateable<TaskRow> {
  const row: Updateable<TaskRow> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const column = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as keyof TaskRow;
    (row as Record<string, unknown>)[column] = key === 'runSpec' ? (value === null ? null : JSON.stringify(value)) : value;
  }
  return row;
}

/** The column types of everything a TaskPatch can change. */
const PATCH_COLUMN_TYPES: Record<string, RecordsetType> = {
  state: 'text',
  attempt: 'integer',
  node_id: 'text',
  backend_id: 'text',
  exit_code: 'integer',
  error: 'text',
  result: 'text',
  progress: 'real',
  completions: 'integer',
  size: 'integer',
  subjob_id: 'text',
  enqueued_at: 'bigint',
  run_after: 'bigint',
  scheduled_at: 'bigint',
  started_at: 'bigint',
  completed_at: 'bigint',
  failed_at: 'bigint',
  run_spec: 'text',
};

export interface GuardedTaskPatch {
  id: string;
  /** The state the task must still be in. */
  expected: TaskState;
  patch: TaskPatch;
}

/** Applies many guarded patches in a few set-based statements; returns how many tasks matched their guard. */
export async function updateMany(db: Db, dialect: SqlDialect, updates: readonly GuardedTaskPatch[]): Promise<number> {
  return updateGuarded(
    db,
    dialect,
    'tasks',
    PATCH_COLUMN_TYPES,
    updates.map((update) => ({ id: update.id, guard: update.expected, columns: patchToRow(update.patch) as Record<string, unknown> })),
  );
}

// SQLite limits bound parameters per statement; 31 columns × 30 rows stays well below it.
const INSERT_CHUNK = 30;
/** Most ids in one compiled by-id read; longer lists are read in chunks of this size. */
const READ_CHUNK = 64;

const insertRows = prepared<{ rows: TaskRow[] }, unknown>(
  (db, arg, { rows }) =>
    db.insertInto('tasks').values(
      rows.map((row, index) => Object.fromEntries(Object.keys(row).map((column) => [column, arg(`rows.${index}.${column}`)])) as unknown as TaskRow),
    ),
  ({ rows }) => String(rows.length),
);

export async function insertMany(db: Db, tasks: readonly Task[]): Promise<void> {
  for (let i = 0; i < tasks.length; i += INSERT_CHUNK) {
    await insertRows(db, { rows: tasks.slice(i, i + INSERT_CHUNK).map(taskToRow) });
  }
}

const selectById = prepared<{ id: string }, TaskRow>((db, arg) => db.selectFrom('tasks').selectAll().where('id', '=', arg<string>('id')));

export async function get(db: Db, id: string): Promise<Task | undefined> {
  const row = (await selectById(db, { id })).rows[0];
  return row ? taskFromRow(row) : undefined;
}

const selectByIds = prepared<{ ids: readonly string[] }, TaskRow>(
  (db, arg, { ids }) => db.selectFrom('tasks').selectAll().where('id', 'in', ids.map((_, index) => arg<string>(`ids.${index}`))),
  ({ ids }) => String(ids.length),
);

export async function getMany(db: Db, ids: readonly string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const { rows } = await selectByIds(db, { ids: ids.slice(i, i + READ_CHUNK) });
    for (const row of rows) out.push(taskFromRow(row));
  }
  return out;
}

/** Every task of a job in execution order. */
export async function listByJob(db: Db, jobId: string): Promise<Task[]> {
  const rows = await db
    .selectFrom('tasks')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('sibling_index')
    .execute();
  return rows.map(taskFromRow);
}

export async function listChildren(db: Db, parentId: string): Promise<Task[]> {
  const rows = await db.selectFrom('tasks').selectAll().where('parent_id', '=', parentId).orderBy('sibling_index').execute();
  return rows.map(taskFromRow);
}

export async function listByJobAndStates(db: Db, jobId: string, states: readonly TaskState[]): Promise<Task[]> {
  const rows = await db.selectFrom('tasks').selectAll().where('job_id', '=', jobId).where('state', 'in', states).execute();
  return rows.map(taskFromRow);
}

export async function listByStates(db: Db, states: readonly TaskState[]): Promise<Task[]> {
  const rows = await db.selectFrom('tasks').selectAll().where('state', 'in', states).execute();
  return rows.map(taskFromRow);
}

export async function listByNode(db: Db, nodeId: string, states: readonly TaskState[]): Promise<Task[]> {
  const rows = await db.selectFrom('tasks').selectAll().where('node_id', '=', nodeId).where('state', 'in', states).execute();
  return rows.map(taskFromRow);
}

/** Applies `patch` if the task is still in `expected` state. Returns false when it was not. */
export async function update(db: Db, id: string, expected: TaskState, patch: TaskPatch): Promise<boolean> {
  const result = await db
    .updateTable('tasks')
    .set(patchToRow(patch))
    .where('id', '=', id)
    .where('state', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Adds one finished child to a composite and returns the new count. */
export async function incrementCompletions(db: Db, id: string): Promise<number> {
  const row = await db
    .updateTable('tasks')
    .set((eb) => ({ completions: eb('completions', '+', 1) }))
    .where('id', '=', id)
    .returning('completions')
    .executeTakeFirstOrThrow();
  return row.completions;
}

/**
 * Moves up to `limit` runnable tasks of the given queues to `scheduled` on a node,
 * highest priority first, then oldest. Atomic on both databases.
 */
export async function claimForNode(
  db: Db,
  dialect: SqlDialect,
  args: { nodeId: string; queues: readonly string[]; limit: number; now: number },
): Promise<Task[]> {
  if (args.limit <= 0 || args.queues.length === 0) return [];
  const rows = claimsInOneStatement(dialect) ? (await claimStatement(db, { ...args, dialect })).rows : await claimByReadThenUpdate(db, args);
  return rows.map(taskFromRow).sort((a, b) => b.priority - a.priority || a.enqueuedAt - b.enqueuedAt);
}

interface Claimable {
  id: string;
  priority: number;
  enqueued_at: number;
}

const selectClaimable = prepared<{ queue: string; now: number; limit: number }, Claimable>((db, arg) =>
  db
    .selectFrom('tasks')
    .select(['id', 'priority', 'enqueued_at'])
    .where('state', '=', 'pending')
    .where('queue', '=', arg<string>('queue'))
    .where('run_after', '<=', arg<number>('now'))
    .orderBy('priority', 'desc')
    .orderBy('enqueued_at')
    .orderBy('id')
    .limit(arg<number>('limit')),
);

const claimIds = prepared<{ ids: readonly string[]; nodeId: string; now: number }, TaskRow>(
  (db, arg, { ids }) =>
    db
      .updateTable('tasks')
      .set({ state: 'scheduled', node_id: arg<string>('nodeId'), scheduled_at: arg<number>('now') })
      .where('id', 'in', ids.map((_, index) => arg<string>(`ids.${index}`)))
      .where('state', '=', 'pending')
      .returningAll(),
  ({ ids }) => String(ids.length),
);

/**
 * The claim as two plain statements, for a database with one writer: the
 * transaction holds it from the read to the update, and the update's state guard
 * still skips any row claimed meanwhile by another process.
 */
async function claimByReadThenUpdate(db: Db, args: { nodeId: string; queues: readonly string[]; limit: number; now: number }): Promise<TaskRow[]> {
  if (!db.isTransaction) return db.transaction().execute((trx) => claimByReadThenUpdate(trx, args));
  const candidates: Claimable[] = [];
  for (const queue of args.queues) candidates.push(...(await selectClaimable(db, { queue, now: args.now, limit: args.limit })).rows);
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => b.priority - a.priority || a.enqueued_at - b.enqueued_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = candidates.slice(0, args.limit).map((candidate) => candidate.id);
  return (await claimIds(db, { ids, nodeId: args.nodeId, now: args.now })).rows;
}

const claimStatement = prepared<{ nodeId: string; queues: readonly string[]; limit: number; now: number; dialect: SqlDialect }, TaskRow>(
  (db, arg, { queues, dialect }) => {
    // One ordered, limited arm per queue, so each reads its queue's claim index in
    // order and stops after `limit` rows (`queue IN (…)` would sort every pending task).
    const arms = queues.map((_, index) =>
      db
        .selectFrom((eb) =>
          eb
            .selectFrom('tasks')
            .select(['id', 'priority', 'enqueued_at'])
            .where('state', '=', 'pending')
            .where('queue', '=', arg<string>(`queues.${index}`))
            .where('run_after', '<=', arg<number>('now'))
            .orderBy('priority', 'desc')
            .orderBy('enqueued_at')
            .orderBy('id')
            .limit(arg<number>('limit'))
            .modifyEnd(claimLock(dialect))
            .as(`q${index}`),
        )
        .selectAll(),
    );
    const candidates = arms.slice(1).reduce((union, arm) => union.unionAll(arm), arms[0]!);
    // A CTE, not `id IN (subquery)`: PostgreSQL may evaluate an IN-subquery with
    // SKIP LOCKED more than once and so return more than `limit` rows.
    return db
      .with('claimable', (qb) =>
        qb
          .selectFrom(candidates.as('candidates'))
          .select('id')
          .orderBy('priority', 'desc')
          .orderBy('enqueued_at')
          .orderBy('id')
          .limit(arg<number>('limit')),
      )
      .updateTable('tasks')
      .set({ state: 'scheduled', node_id: arg<string>('nodeId'), scheduled_at: arg<number>('now') })
      .from('claimable')
      .whereRef('tasks.id', '=', 'claimable.id')
      .where('tasks.state', '=', 'pending')
      .returningAll();
  },
  ({ queues }) => String(queues.length),
);

/** Earliest `run_after` among pending tasks of these queues that are not yet runnable. */
export async function nextRunAfter(db: Db, queues: readonly string[], now: number): Promise<number | undefined> {
  if (queues.length === 0) return undefined;
  const row = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.min('run_after').as('next'))
    .where('state', '=', 'pending')
    .where('queue', 'in', queues)
    .where('run_after', '>', now)
    .executeTakeFirst();
  return row?.next == null ? undefined : Number(row.next);
}

export interface QueueCounts {
  queue: string;
  pending: number;
  unacked: number;
}

export async function countByQueue(db: Db): Promise<QueueCounts[]> {
  const rows = await db
    .selectFrom('tasks')
    .select([
      'queue',
      sql<number>`sum(case when state = 'pending' then 1 else 0 end)`.as('pending'),
      sql<number>`sum(case when state in ('scheduled', 'running', 'stopping') then 1 else 0 end)`.as('unacked'),
    ])
    .where('state', 'in', ['pending', 'scheduled', 'running', 'stopping'])
    .groupBy('queue')
    .execute();
  return rows.map((r) => ({ queue: r.queue, pending: Number(r.pending), unacked: Number(r.unacked) }));
}

export async function countByState(db: Db, state: TaskState): Promise<number> {
  const { count } = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('state', '=', state)
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function listPendingInQueue(db: Db, queue: string): Promise<Task[]> {
  const rows = await db.selectFrom('tasks').selectAll().where('queue', '=', queue).where('state', '=', 'pending').execute();
  return rows.map(taskFromRow);
}
