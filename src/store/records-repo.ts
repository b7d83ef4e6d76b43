import { sql, type Selectable } from 'kysely';
import type { JobRecord, RecordState, RecordTag } from '../core/job-record.js';
import type { Job } from '../core/model.js';
import type { Db } from './dialect.js';
import { jobFromRow } from './mappers.js';
import type { JobRecordRow, JobRow, JobTagRow } from './tables.js';

const json = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

function recordFromRow(row: Selectable<JobRecordRow>): JobRecord {
  return {
    id: Number(row.num_id),
    jobRef: row.job_id,
    batchJobId: Number(row.batch_job_id),
    user: row.user_name,
    project: row.project,
    cluster: row.cluster,
    subCluster: row.sub_cluster,
    partition: row.partition,
    arrayJobId: row.array_job_id === null ? null : Number(row.array_job_id),
    numNodes: Number(row.num_nodes),
    numHwthreads: Number(row.num_hwthreads),
    numAcc: Number(row.num_acc),
    shared: row.shared,
    walltime: Number(row.walltime),
    smt: row.smt === null ? null : Number(row.smt),
    submitTime: row.submit_time === null ? null : Number(row.submit_time),
    startTime: Number(row.start_time),
    duration: Number(row.duration),
    state: row.job_state as RecordState,
    monitoringStatus: Number(row.monitoring_status),
    requestedMemory: row.requested_memory === null ? null : Number(row.requested_memory),
    energy: row.energy === null ? null : Number(row.energy),
    resources: json(row.resources, []),
    metaData: json(row.meta_data, {}),
    footprint: json(row.footprint, null),
    energyFootprint: json(row.energy_footprint, null),
  };
}

function recordToRow(record: JobRecord): JobRecordRow {
  return {
    job_id: record.jobRef,
    num_id: record.id,
    batch_job_id: record.batchJobId,
    cluster: record.cluster,
    sub_cluster: record.subCluster,
    partition: record.partition,
    project: record.project,
    user_name: record.user,
    array_job_id: record.arrayJobId,
    num_nodes: record.numNodes,
    num_hwthreads: record.numHwthreads,
    num_acc: record.numAcc,
    shared: record.shared,
    walltime: record.walltime,
    smt: record.smt,
    submit_time: record.submitTime,
    start_time: record.startTime,
    duration: record.duration,
    job_state: record.state,
    monitoring_status: record.monitoringStatus,
    requested_memory: record.requestedMemory,
    energy: record.energy,
    resources: JSON.stringify(record.resources),
    meta_data: JSON.stringify(record.metaData),
    footprint: record.footprint === null ? null : JSON.stringify(record.footprint),
    energy_footprint: record.energyFootprint === null ? null : JSON.stringify(record.energyFootprint),
  };
}

export async function insert(db: Db, record: JobRecord): Promise<void> {
  await db.insertInto('job_records').values(recordToRow(record)).execute();
}

export async function get(db: Db, id: number): Promise<JobRecord | undefined> {
  const row = await db.selectFrom('job_records').selectAll().where('num_id', '=', id).executeTakeFirst();
  return row ? recordFromRow(row) : undefined;
}

/** Records of a batch job id on a cluster (all clusters when none), newest start first; with `startTime`, only that start. */
export async function findByBatchId(db: Db, batchJobId: number, cluster?: string, startTime?: number): Promise<JobRecord[]> {
  let query = db.selectFrom('job_records').selectAll().where('batch_job_id', '=', batchJobId);
  if (cluster !== undefined) query = query.where('cluster', '=', cluster);
  if (startTime !== undefined) query = query.where('start_time', '=', startTime);
  return (await query.orderBy('start_time', 'desc').execute()).map(recordFromRow);
}

export async function setStopped(db: Db, id: number, state: RecordState, duration: number, monitoringStatus: number): Promise<boolean> {
  const result = await db
    .updateTable('job_records')
    .set({ job_state: state, duration, monitoring_status: monitoringStatus })
    .where('num_id', '=', id)
    .where('job_state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setMetaData(db: Db, id: number, metaData: Record<string, string>): Promise<void> {
  await db.updateTable('job_records').set({ meta_data: JSON.stringify(metaData) }).where('num_id', '=', id).execute();
}

export interface RecordFilter {
  states?: readonly RecordState[];
  cluster?: string;
  user?: string;
  project?: string;
  batchJobId?: number;
  /** Inclusive bounds on the start time, seconds. */
  startFrom?: number;
  startTo?: number;
  numNodesFrom?: number;
  numNodesTo?: number;
}

/** One page of records, newest start first (ClusterCockpit's default order). */
export async function list(db: Db, filter: RecordFilter, page: { page: number; itemsPerPage: number }): Promise<JobRecord[]> {
  let query = db.selectFrom('job_records').selectAll();
  if (filter.states && filter.states.length > 0) query = query.where('job_state', 'in', filter.states);
  if (filter.cluster !== undefined) query = query.where('cluster', '=', filter.cluster);
  if (filter.user !== undefined) query = query.where('user_name', '=', filter.user);
  if (filter.project !== undefined) query = query.where('project', '=', filter.project);
  if (filter.batchJobId !== undefined) query = query.where('batch_job_id', '=', filter.batchJobId);
  if (filter.startFrom !== undefined) query = query.where('start_time', '>=', filter.startFrom);
  if (filter.startTo !== undefined) query = query.where('start_time', '<=', filter.startTo);
  if (filter.numNodesFrom !== undefined) query = query.where('num_nodes', '>=', filter.numNodesFrom);
  if (filter.numNodesTo !== undefined) query = query.where('num_nodes', '<=', filter.numNodesTo);
  const rows = await query
    .orderBy('start_time', 'desc')
    .orderBy('num_id', 'desc')
    .limit(page.itemsPerPage)
    .offset((page.page - 1) * page.itemsPerPage)
    .execute();
  return rows.map(recordFromRow);
}

/** Job ids of records that stopped before `before` (start + duration, seconds), leaving out tagged ones as `omitTagged` says. */
export async function stoppedBefore(db: Db, before: number, omitTagged: 'none' | 'all' | 'user'): Promise<string[]> {
  let query = db
    .selectFrom('job_records')
    .select('job_id')
    .where('job_state', '!=', 'running')
    .where(sql<boolean>`start_time + duration < ${before}`);
  if (omitTagged === 'all') query = query.where(sql<boolean>`not exists (select 1 from job_tag_links where job_tag_links.job_id = job_records.job_id)`);
  // A user's tags are the private ones: scoped to a user name, not global or admin.
  if (omitTagged === 'user') {
    query = query.where(
      sql<boolean>`not exists (select 1 from job_tag_links l join job_tags_catalog t on t.id = l.tag_id where l.job_id = job_records.job_id and t.tag_scope not in ('global', 'admin'))`,
    );
  }
  return (await query.execute()).map((row) => row.job_id);
}

export async function runningStartedBefore(db: Db, before: number): Promise<JobRecord[]> {
  const rows = await db.selectFrom('job_records').selectAll().where('job_state', '=', 'running').where('start_time', '<', before).execute();
  return rows.map(recordFromRow);
}

/** Removes records, their tag links and their jobs. */
export async function remove(db: Db, jobIds: readonly string[]): Promise<void> {
  for (let i = 0; i < jobIds.length; i += 500) {
    const chunk = jobIds.slice(i, i + 500);
    await db.deleteFrom('job_tag_links').where('job_id', 'in', chunk).execute();
    await db.deleteFrom('job_records').where('job_id', 'in', chunk).execute();
    await db.deleteFrom('jobs').where('id', 'in', chunk).execute();
  }
}

// ---- tags ------------------------------------------------------------------

function tagFromRow(row: Selectable<JobTagRow>): RecordTag {
  return { id: Number(row.id), type: row.tag_type, name: row.tag_name, scope: row.tag_scope };
}

export async function findTag(db: Db, type: string, name: string, scope: string): Promise<RecordTag | undefined> {
  const row = await db.selectFrom('job_tags_catalog').selectAll().where('tag_type', '=', type).where('tag_name', '=', name).where('tag_scope', '=', scope).executeTakeFirst();
  return row ? tagFromRow(row) : undefined;
}

export async function findOrCreateTag(db: Db, type: string, name: string, scope: string): Promise<RecordTag> {
  const found = await findTag(db, type, name, scope);
  if (found) return found;
  const row = await db.insertInto('job_tags_catalog').values({ tag_type: type, tag_name: name, tag_scope: scope }).returningAll().executeTakeFirstOrThrow();
  return tagFromRow(row);
}

export async function linkTag(db: Db, jobId: string, tagId: number): Promise<void> {
  const exists = await db.selectFrom('job_tag_links').select('tag_id').where('job_id', '=', jobId).where('tag_id', '=', tagId).executeTakeFirst();
  if (!exists) await db.insertInto('job_tag_links').values({ job_id: jobId, tag_id: tagId }).execute();
}

export async function unlinkTag(db: Db, jobId: string, tagId: number): Promise<void> {
  await db.deleteFrom('job_tag_links').where('job_id', '=', jobId).where('tag_id', '=', tagId).execute();
}

/** Removes a tag from every job and from the catalogue. */
export async function removeTag(db: Db, tagId: number): Promise<void> {
  await db.deleteFrom('job_tag_links').where('tag_id', '=', tagId).execute();
  await db.deleteFrom('job_tags_catalog').where('id', '=', tagId).execute();
}

/** The tags of these jobs whose scope is one of `scopes`, by job id. */
export async function tagsOfJobs(db: Db, jobIds: readonly string[], scopes: readonly string[]): Promise<Map<string, RecordTag[]>> {
  const out = new Map<string, RecordTag[]>(jobIds.map((id) => [id, []]));
  if (jobIds.length === 0 || scopes.length === 0) return out;
  for (let i = 0; i < jobIds.length; i += 500) {
    const rows = await db
      .selectFrom('job_tag_links')
      .innerJoin('job_tags_catalog', 'job_tags_catalog.id', 'job_tag_links.tag_id')
      .select(['job_tag_links.job_id as jobId', 'job_tags_catalog.id as id', 'tag_type', 'tag_name', 'tag_scope'])
      .where('job_tag_links.job_id', 'in', jobIds.slice(i, i + 500))
      .where('tag_scope', 'in', scopes)
      .orderBy('job_tags_catalog.id')
      .execute();
    for (const row of rows) out.get(row.jobId)?.push({ id: Number(row.id), type: row.tag_type, name: row.tag_name, scope: row.tag_scope });
  }
  return out;
}

/**
 * Gantry's own top-level jobs numbered after `afterNumId`, oldest first, and
 * whether each has a record already (a range of the primary key: cheap however
 * many jobs there are).
 */
export async function ownJobsAfter(db: Db, afterNumId: number, limit: number): Promise<Array<{ job: Job; recorded: boolean }>> {
  const rows = await db
    .selectFrom('jobs')
    .leftJoin('job_records', 'job_records.job_id', 'jobs.id')
    .selectAll('jobs')
    .select('job_records.job_state as recordState')
    .where('jobs.num_id', '>', afterNumId)
    .where('jobs.kind', '!=', 'external')
    .where('jobs.parent_job_id', 'is', null)
    .orderBy('jobs.num_id')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const { recordState, ...job } = row;
    return { job: jobFromRow(job as Selectable<JobRow>), recorded: recordState !== null };
  });
}

/** The jobs of `cluster`'s records that have not ended (pending or running), with their record's state. */
export async function jobsOfOpenRecords(db: Db, cluster: string): Promise<Array<{ job: Job; recordState: string }>> {
  const rows = await db
    .selectFrom('job_records')
    .innerJoin('jobs', 'jobs.id', 'job_records.job_id')
    .selectAll('jobs')
    .select('job_records.job_state as recordState')
    .where('job_records.job_state', 'in', ['pending', 'running'])
    .where('job_records.cluster', '=', cluster)
    .where('jobs.kind', '!=', 'external')
    .execute();
  return rows.map((row) => {
    const { recordState, ...job } = row;
    return { job: jobFromRow(job as Selectable<JobRow>), recordState };
  });
}

/** Hostnames of the nodes that ran tasks of these jobs, by job id. */
export async function hostsOfJobs(db: Db, jobIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < jobIds.length; i += 500) {
    const rows = await db
      .selectFrom('tasks')
      .innerJoin('nodes', 'nodes.id', 'tasks.node_id')
      .select(['tasks.job_id as jobId', 'nodes.hostname as hostname'])
      .distinct()
      .where('tasks.job_id', 'in', jobIds.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      const list = out.get(row.jobId) ?? [];
      if (!list.includes(row.hostname)) list.push(row.hostname);
      out.set(row.jobId, list);
    }
  }
  return out;
}

/** Writes a record whole: inserts it, or replaces the stored one of its job. */
export async function save(db: Db, record: JobRecord, exists: boolean): Promise<void> {
  if (!exists) {
    await insert(db, record);
    return;
  }
  const { job_id: jobId, ...row } = recordToRow(record);
  await db.updateTable('job_records').set(row).where('job_id', '=', jobId).execute();
}
