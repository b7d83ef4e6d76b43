import { sql, type Selectable } from 'kysely';
import type { ServiceInstance, ServicePortBinding } from '../core/app.js';
import type { Job } from '../core/model.js';
import type { JobState } from '../core/states.js';
import type { Db } from './dialect.js';
import { jobFromRow } from './mappers.js';
import type { AppServiceRow } from './tables.js';

export type NewServiceInstance = Omit<ServiceInstance, 'numId'>;

function instanceFromRow(row: Selectable<AppServiceRow>): ServiceInstance {
  return {
    numId: Number(row.num_id),
    jobId: row.job_id,
    taskId: row.task_id,
    group: row.group_name,
    name: row.name,
    index: row.instance_index,
    essential: row.essential === 1,
    monitor: row.monitor === 1,
    address: row.address,
    host: row.host,
    ports: JSON.parse(row.ports) as ServicePortBinding[],
    createdAt: Number(row.created_at),
  };
}

function instanceToRow(instance: NewServiceInstance): Omit<AppServiceRow, 'num_id'> {
  return {
    job_id: instance.jobId,
    task_id: instance.taskId,
    group_name: instance.group,
    name: instance.name,
    instance_index: instance.index,
    essential: instance.essential ? 1 : 0,
    monitor: instance.monitor ? 1 : 0,
    address: instance.address,
    host: instance.host,
    ports: JSON.stringify(instance.ports),
    created_at: instance.createdAt,
  };
}

// SQLite limits bound parameters per statement; 11 columns × 60 rows stays well below it.
const INSERT_CHUNK = 60;

/** Inserts instances in order; returns them with the numeric ids the database gave them. */
export async function insertInstances(db: Db, instances: readonly NewServiceInstance[]): Promise<ServiceInstance[]> {
  const out: ServiceInstance[] = [];
  for (let i = 0; i < instances.length; i += INSERT_CHUNK) {
    const chunk = instances.slice(i, i + INSERT_CHUNK);
    const rows = await db.insertInto('app_services').values(chunk.map(instanceToRow)).returningAll().execute();
    // Both databases return inserted rows in insertion order, ids ascending.
    rows.sort((a, b) => Number(a.num_id) - Number(b.num_id));
    out.push(...rows.map(instanceFromRow));
  }
  return out;
}

export async function instancesOfJob(db: Db, jobId: string): Promise<ServiceInstance[]> {
  const rows = await db.selectFrom('app_services').selectAll().where('job_id', '=', jobId).orderBy('num_id').execute();
  return rows.map(instanceFromRow);
}

export async function instancesOfJobs(db: Db, jobIds: readonly string[]): Promise<ServiceInstance[]> {
  if (jobIds.length === 0) return [];
  const out: ServiceInstance[] = [];
  for (let i = 0; i < jobIds.length; i += 500) {
    const rows = await db.selectFrom('app_services').selectAll().where('job_id', 'in', jobIds.slice(i, i + 500)).orderBy('num_id').execute();
    out.push(...rows.map(instanceFromRow));
  }
  return out;
}

export async function instanceByNumId(db: Db, numId: number): Promise<ServiceInstance | undefined> {
  const row = await db.selectFrom('app_services').selectAll().where('num_id', '=', numId).executeTakeFirst();
  return row ? instanceFromRow(row) : undefined;
}

export async function instanceByTask(db: Db, taskId: string): Promise<ServiceInstance | undefined> {
  const row = await db.selectFrom('app_services').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  return row ? instanceFromRow(row) : undefined;
}

/** Points an instance at the task of its new run. */
export async function setInstanceTask(db: Db, numId: number, taskId: string | null): Promise<void> {
  await db.updateTable('app_services').set({ task_id: taskId }).where('num_id', '=', numId).execute();
}

/** Where a running instance's ports are reached from (as its node reported them). */
export async function setInstanceEndpoints(db: Db, taskId: string, host: string | null, ports: readonly ServicePortBinding[]): Promise<void> {
  await db
    .updateTable('app_services')
    .set({ host, ports: JSON.stringify(ports) })
    .where('task_id', '=', taskId)
    .execute();
}

export async function deleteJobWithTasks(db: Db, jobId: string): Promise<void> {
  await db.deleteFrom('task_logs').where('job_id', '=', jobId).execute();
  await db.deleteFrom('tasks').where('job_id', '=', jobId).execute();
  await db.deleteFrom('app_services').where('job_id', '=', jobId).execute();
  await db.deleteFrom('job_tag_links').where('job_id', '=', jobId).execute();
  await db.deleteFrom('job_records').where('job_id', '=', jobId).execute();
  await db.deleteFrom('jobs').where('id', '=', jobId).execute();
}

export async function appJobByNumId(db: Db, numId: number): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('num_id', '=', numId).where('kind', '=', 'app').executeTakeFirst();
  return row ? jobFromRow(row) : undefined;
}

/** A time bound on an app job's submit, start or end (epoch ms, inclusive as Zoe's are). */
export interface TimeBound {
  field: 'submit' | 'start' | 'end';
  before: boolean;
  at: number;
}

export interface AppJobQuery {
  owner?: string;
  name?: string;
  states?: readonly JobState[];
  /** true: only ended jobs whose services are still stopping; false: only those without. */
  stopping?: boolean;
  bounds: readonly TimeBound[];
  limit?: number;
}

/** App jobs, newest first (as Zoe orders its executions). */
export async function listAppJobs(db: Db, query: AppJobQuery): Promise<Job[]> {
  let base = db.selectFrom('jobs').selectAll().where('kind', '=', 'app');
  if (query.owner !== undefined) base = base.where('owner', '=', query.owner);
  if (query.name !== undefined) base = base.where('name', '=', query.name);
  if (query.states) base = base.where('state', 'in', query.states.length > 0 ? query.states : ['']);
  if (query.stopping !== undefined) {
    const stopping = sql<boolean>`exists (select 1 from tasks where tasks.job_id = jobs.id and tasks.state = 'stopping')`;
    base = base.where(query.stopping ? stopping : sql<boolean>`not ${stopping}`);
  }
  for (const bound of query.bounds) {
    const column =
      bound.field === 'submit'
        ? sql.ref('created_at')
        : bound.field === 'start'
          ? sql.ref('started_at')
          : sql`coalesce(completed_at, failed_at, cancelled_at)`;
    base = base.where(sql<boolean>`${column} ${sql.raw(bound.before ? '<=' : '>=')} ${bound.at}`);
  }
  base = base.orderBy('num_id', 'desc');
  if (query.limit !== undefined) base = base.limit(query.limit);
  return (await base.execute()).map(jobFromRow);
}

/** Of these jobs, those with a task still stopping. */
export async function jobsWithStoppingTasks(db: Db, jobIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < jobIds.length; i += 500) {
    const rows = await db.selectFrom('tasks').select('job_id').distinct().where('job_id', 'in', jobIds.slice(i, i + 500)).where('state', '=', 'stopping').execute();
    for (const row of rows) out.add(row.job_id);
  }
  return out;
}

/** Numeric ids of ended app jobs that still have services stopping (Zoe's executions in "cleaning up"). */
export async function cleaningUpJobIds(db: Db): Promise<number[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('num_id')
    .where('kind', '=', 'app')
    .where('state', 'in', ['completed', 'failed', 'cancelled'])
    .where(sql<boolean>`exists (select 1 from tasks where tasks.job_id = jobs.id and tasks.state = 'stopping')`)
    .orderBy('num_id')
    .execute();
  return rows.map((row) => Number(row.num_id));
}

/** Tasks of app jobs that hold room on a node, with the instance each runs. */
export async function activeAppTasks(db: Db): Promise<Array<{ taskId: string; jobId: string; nodeId: string | null; state: string; group: string; essential: boolean; index: number }>> {
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('app_services', 'app_services.task_id', 'tasks.id')
    .select(['tasks.id as taskId', 'tasks.job_id as jobId', 'tasks.node_id as nodeId', 'tasks.state as state', 'app_services.group_name as group', 'app_services.essential as essential', 'app_services.instance_index as index'])
    .where('tasks.state', 'in', ['pending', 'scheduled', 'running', 'stopping'])
    .execute();
  return rows.map((row) => ({ ...row, essential: Number(row.essential) === 1 }));
}

/** App jobs in these states without their definitions (the scheduler keeps those it has read). */
export async function appJobHeads(db: Db, states: readonly JobState[]): Promise<Array<{ id: string; numId: number; state: JobState }>> {
  const rows = await db.selectFrom('jobs').select(['id', 'num_id', 'state']).where('kind', '=', 'app').where('state', 'in', states).orderBy('num_id').execute();
  return rows.map((row) => ({ id: row.id, numId: Number(row.num_id), state: row.state as JobState }));
}
