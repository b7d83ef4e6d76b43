import type { Page, TaskLogPart } from '../core/model.js';
import { containsInsensitive, type Db } from './dialect.js';
import { logPartFromRow } from './mappers.js';

export interface NewLogPart {
  taskId: string;
  jobId: string;
  contents: string;
  createdAt: number;
}

/** Appends parts, numbering them per task after the last stored number. */
export async function appendMany(db: Db, parts: readonly NewLogPart[]): Promise<TaskLogPart[]> {
  if (parts.length === 0) return [];
  const taskIds = [...new Set(parts.map((p) => p.taskId))];
  const maxRows = await db
    .selectFrom('task_logs')
    .select(['task_id', (eb) => eb.fn.max('number').as('max')])
    .where('task_id', 'in', taskIds)
    .groupBy('task_id')
    .execute();
  const next = new Map(maxRows.map((r) => [r.task_id, Number(r.max ?? 0)]));
  const values = parts.map((p) => {
    const number = (next.get(p.taskId) ?? 0) + 1;
    next.set(p.taskId, number);
    return { task_id: p.taskId, job_id: p.jobId, number, contents: p.contents, created_at: p.createdAt };
  });
  const out: TaskLogPart[] = [];
  for (let i = 0; i < values.length; i += 100) {
    const rows = await db.insertInto('task_logs').values(values.slice(i, i + 100)).returningAll().execute();
    out.push(...rows.map(logPartFromRow));
  }
  return out;
}

export interface LogQuery {
  page: number;
  size: number;
  q?: string;
}

async function pageOf(
  db: Db,
  column: 'task_id' | 'job_id',
  id: string,
  query: LogQuery,
): Promise<Page<TaskLogPart>> {
  let base = db.selectFrom('task_logs').where(column, '=', id);
  if (query.q) base = base.where(containsInsensitive('contents', query.q));
  const { count } = await base.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  // Newest first, as Tork pages its logs.
  const rows = await base
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.size)
    .offset((query.page - 1) * query.size)
    .execute();
  const totalItems = Number(count);
  return {
    items: rows.map(logPartFromRow),
    number: query.page,
    size: rows.length,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}

export const pageByTask = (db: Db, taskId: string, query: LogQuery) => pageOf(db, 'task_id', taskId, query);
export const pageByJob = (db: Db, jobId: string, query: LogQuery) => pageOf(db, 'job_id', jobId, query);

/** Parts of a job after a given part id, oldest first: what a follower has not seen yet. */
export async function listByJobAfter(db: Db, jobId: string, afterId: number, limit: number): Promise<TaskLogPart[]> {
  const rows = await db
    .selectFrom('task_logs')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(logPartFromRow);
}

/** Parts of a task after a given part number, in order. */
export async function listByTaskAfter(db: Db, taskId: string, afterNumber: number, limit: number): Promise<TaskLogPart[]> {
  const rows = await db
    .selectFrom('task_logs')
    .selectAll()
    .where('task_id', '=', taskId)
    .where('number', '>', afterNumber)
    .orderBy('number')
    .limit(limit)
    .execute();
  return rows.map(logPartFromRow);
}
