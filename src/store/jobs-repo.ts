import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Job, Page } from '../core/model.js';
import type { JobState } from '../core/states.js';
import { containsInsensitive, jsonArrayHasAny, type Db, type RecordsetType, type SqlDialect } from './dialect.js';
import { updateGuarded } from './guarded-update.js';
import { prepared } from './prepared.js';
import { jobFromRow } from './mappers.js';
import type { JobRow } from './tables.js';

export type NewJob = Omit<Job, 'numId'>;

/** Fields a service may change after insert. */
export type JobPatch = Partial<
  Pick<
    Job,
    | 'state'
    | 'position'
    | 'result'
    | 'error'
    | 'progress'
    | 'context'
    | 'scheduledAt'
    | 'startedAt'
    | 'completedAt'
    | 'failedAt'
    | 'cancelledAt'
    | 'taskCount'
  >
>;

function patchToRow(patch: JobPatch): Updateable<JobRow> {
  const row: Updateable<JobRow> = {};
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.position !== undefined) row.position = patch.position;
  if (patch.result !== undefined) row.result = patch.result;
  if (patch.error !== undefined) row.error = patch.error;
  if (patch.progress !== undefined) row.progress = patch.progress;
  if (patch.context !== undefined) row.context = JSON.stringify(patch.context);
  if (patch.scheduledAt !== undefined) row.scheduled_at = patch.scheduledAt;
  if (patch.startedAt !== undefined) row.started_at = patch.startedAt;
  if (patch.completedAt !== undefined) row.completed_at = patch.completedAt;
  if (patch.failedAt !== undefined) row.failed_at = patch.failedAt;
  if (patch.cancelledAt !== undefined) row.cancelled_at = patch.cancelledAt;
  if (patch.taskCount !== undefined) row.task_count = patch.taskCount;
  return row;
}

/** The column types of everything a JobPatch can change. */
const PATCH_COLUMN_TYPES: Record<string, RecordsetType> = {
  state: 'text',
  position: 'integer',
  result: 'text',
  error: 'text',
  progress: 'real',
  context: 'text',
  scheduled_at: 'bigint',
  started_at: 'bigint',
  completed_at: 'bigint',
  failed_at: 'bigint',
  cancelled_at: 'bigint',
  task_count: 'integer',
};

export interface GuardedJobPatch {
  id: string;
  /** The state the job must still be in. */
  expected: JobState;
  patch: JobPatch;
}

/** Applies many guarded patches in a few set-based statements; returns how many jobs matched their guard. */
export async function updateMany(db: Db, dialect: SqlDialect, updates: readonly GuardedJobPatch[]): Promise<number> {
  return updateGuarded(
    db,
    dialect,
    'jobs',
    PATCH_COLUMN_TYPES,
    updates.map((update) => ({ id: update.id, guard: update.expected, columns: patchToRow(update.patch) as Record<string, unknown> })),
  );
}

export function jobToRow(job: NewJob): Omit<JobRow, 'num_id'> {
  return {
    id: job.id,
    kind: job.kind,
    owner: job.owner,
    name: job.name,
    description: job.description,
    state: job.state,
    priority: job.priority,
    queue: job.queue,
    tags: JSON.stringify(job.tags),
    definition: JSON.stringify(job.definition),
    inputs: JSON.stringify(job.inputs),
    secrets: JSON.stringify(job.secrets),
    context: JSON.stringify(job.context),
    position: job.position,
    task_count: job.taskCount,
    result: job.result,
    error: job.error,
    progress: job.progress,
    parent_job_id: job.parentJobId,
    parent_task_id: job.parentTaskId,
    scheduled_job_id: job.scheduledJobId,
    search_text: [job.name, job.description ?? '', ...job.tags].join('\n'),
    created_at: job.createdAt,
    scheduled_at: job.scheduledAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    failed_at: job.failedAt,
    cancelled_at: job.cancelledAt,
  };
}

const insertRow = prepared<{ row: Omit<JobRow, 'num_id'> }, { num_id: number }>((db, arg, { row }) =>
  db
    .insertInto('jobs')
    .values(Object.fromEntries(Object.keys(row).map((column) => [column, arg(`row.${column}`)])) as unknown as Insertable<JobRow>)
    .returning('num_id'),
);

/** Inserts a job; the database gives it its numeric id. */
export async function insert(db: Db, job: NewJob): Promise<Job> {
  const { rows } = await insertRow(db, { row: jobToRow(job) });
  return { ...job, numId: Number(rows[0]!.num_id) };
}

const selectById = prepared<{ id: string }, Selectable<JobRow>>((db, arg) => db.selectFrom('jobs').selectAll().where('id', '=', arg<string>('id')));

export async function get(db: Db, id: string): Promise<Job | undefined> {
  const row = (await selectById(db, { id })).rows[0];
  return row ? jobFromRow(row) : undefined;
}

/** Most ids in one compiled by-id read; longer lists are read in chunks of this size. */
const READ_CHUNK = 64;

const selectByIds = prepared<{ ids: readonly string[] }, Selectable<JobRow>>(
  (db, arg, { ids }) => db.selectFrom('jobs').selectAll().where('id', 'in', ids.map((_, index) => arg<string>(`ids.${index}`))),
  ({ ids }) => String(ids.length),
);

export async function getMany(db: Db, ids: readonly string[]): Promise<Job[]> {
  const out: Job[] = [];
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const { rows } = await selectByIds(db, { ids: ids.slice(i, i + READ_CHUNK) });
    for (const row of rows) out.push(jobFromRow(row));
  }
  return out;
}

/**
 * Applies `patch` if the job is still in `expected` state (optimistic guard).
 * Returns false when another writer moved it first.
 */
export async function update(db: Db, id: string, expected: JobState, patch: JobPatch): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set(patchToRow(patch))
    .where('id', '=', id)
    .where('state', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface JobListQuery {
  page: number;
  size: number;
  /** Case-insensitive text matched against name, description and tags. */
  q?: string;
  kind?: Job['kind'];
  /** Only top-level jobs (not subjobs). */
  topLevelOnly?: boolean;
  /** Only the jobs of this owner. */
  owner?: string;
}

/**
 * A search as Tork reads it: `tag:x` and `tags:x,y` ask for jobs with any of
 * those tags (exactly); every other word must appear in the name, description
 * or tags (case-insensitive).
 */
function parseSearch(q: string): { words: string[]; tags: string[] } {
  const words: string[] = [];
  const tags: string[] = [];
  for (const word of q.trim().split(/\s+/).filter(Boolean)) {
    if (/^tags?:/i.test(word)) tags.push(...word.replace(/^tags?:/i, '').split(',').filter(Boolean));
    else words.push(word);
  }
  return { words, tags };
}

/** Most recent first. */
export async function list(db: Db, dialect: SqlDialect, query: JobListQuery): Promise<Page<Job>> {
  let base = db.selectFrom('jobs');
  if (query.kind) base = base.where('kind', '=', query.kind);
  if (query.topLevelOnly) base = base.where('parent_job_id', 'is', null);
  if (query.owner !== undefined) base = base.where('owner', '=', query.owner);
  if (query.q) {
    const { words, tags } = parseSearch(query.q);
    for (const word of words) base = base.where(containsInsensitive('search_text', word));
    if (tags.length > 0) base = base.where(jsonArrayHasAny(dialect, 'tags', tags));
  }
  const { count } = await base.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('num_id', 'desc')
    .limit(query.size)
    .offset((query.page - 1) * query.size)
    .execute();
  const totalItems = Number(count);
  return {
    items: rows.map(jobFromRow),
    number: query.page,
    size: rows.length,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}

export async function countByState(db: Db, state: JobState): Promise<number> {
  const { count } = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('state', '=', state)
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function listByStates(db: Db, states: readonly JobState[]): Promise<Job[]> {
  const rows = await db.selectFrom('jobs').selectAll().where('state', 'in', states).execute();
  return rows.map(jobFromRow);
}

/**
 * Moves a job to `running` if it is in one of `from` (one statement: the hot path
 * of every task start). Returns the job as it is now, or undefined when it was not
 * in one of those states.
 */
export async function markRunning(db: Db, id: string, from: readonly JobState[], now: number): Promise<Job | undefined> {
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({ state: 'running', started_at: eb.fn.coalesce('started_at', eb.val(now)) }))
    .where('id', '=', id)
    .where('state', 'in', from)
    .returningAll()
    .executeTakeFirst();
  return row ? jobFromRow(row) : undefined;
}
