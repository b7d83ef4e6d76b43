import type { Page, ScheduledJob, ScheduleState } from '../core/model.js';
import { containsInsensitive, type Db } from './dialect.js';
import { scheduledJobFromRow } from './mappers.js';

export async function insert(db: Db, job: ScheduledJob): Promise<void> {
  await db
    .insertInto('scheduled_jobs')
    .values({
      id: job.id,
      owner: job.owner,
      name: job.name,
      description: job.description,
      cron: job.cron,
      state: job.state,
      tags: JSON.stringify(job.tags),
      definition: JSON.stringify(job.definition),
      search_text: [job.name, job.description ?? '', ...job.tags].join('\n'),
      created_at: job.createdAt,
      next_run_at: job.nextRunAt,
      last_run_at: job.lastRunAt,
    })
    .execute();
}

export async function get(db: Db, id: string): Promise<ScheduledJob | undefined> {
  const row = await db.selectFrom('scheduled_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? scheduledJobFromRow(row) : undefined;
}

export async function list(db: Db, query: { page: number; size: number; q?: string; owner?: string }): Promise<Page<ScheduledJob>> {
  let base = db.selectFrom('scheduled_jobs');
  if (query.owner !== undefined) base = base.where('owner', '=', query.owner);
  if (query.q) {
    for (const term of query.q.trim().split(/\s+/).filter(Boolean)) base = base.where(containsInsensitive('search_text', term));
  }
  const { count } = await base.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(query.size)
    .offset((query.page - 1) * query.size)
    .execute();
  const totalItems = Number(count);
  return {
    items: rows.map(scheduledJobFromRow),
    number: query.page,
    size: rows.length,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}

export async function setState(
  db: Db,
  id: string,
  expected: ScheduleState,
  state: ScheduleState,
  nextRunAt: number | null,
): Promise<boolean> {
  const result = await db
    .updateTable('scheduled_jobs')
    .set({ state, next_run_at: nextRunAt })
    .where('id', '=', id)
    .where('state', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function remove(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('scheduled_jobs').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function listDue(db: Db, now: number): Promise<ScheduledJob[]> {
  const rows = await db
    .selectFrom('scheduled_jobs')
    .selectAll()
    .where('state', '=', 'active')
    .where('next_run_at', '<=', now)
    .execute();
  return rows.map(scheduledJobFromRow);
}

/** Advances a due schedule if nobody else did (guards double runs across servers). */
export async function markRun(db: Db, id: string, dueAt: number, ranAt: number, nextRunAt: number | null): Promise<boolean> {
  const result = await db
    .updateTable('scheduled_jobs')
    .set({ last_run_at: ranAt, next_run_at: nextRunAt })
    .where('id', '=', id)
    .where('next_run_at', '=', dueAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
