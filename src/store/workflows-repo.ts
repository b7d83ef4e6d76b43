import type { TaskDirectiveDoc, TaskforceDoc, TaskforcePhase, WorkflowDoc } from '../core/workflow.js';
import type { Db } from './dialect.js';

/**
 * Workflows, task directives and taskforces, each stored as its EWMS document.
 * Their queries by field path are in doc-query.ts; these are the reads and
 * writes the services make by id.
 */

export interface StoredWorkflow {
  doc: WorkflowDoc;
  jobId: string;
  ownerId: string;
}

/** A taskforce as made, with the digest of the request that made it (replays find it by that). */
export interface NewTaskforce {
  doc: TaskforceDoc;
  requestDigest: string;
}

function parsed<T>(doc: unknown): T {
  return (typeof doc === 'string' ? JSON.parse(doc) : doc) as T;
}

export async function insertWorkflow(db: Db, workflow: StoredWorkflow, requestDigest: string, now: number, directives: readonly TaskDirectiveDoc[], taskforces: readonly TaskforceDoc[]): Promise<void> {
  await db
    .insertInto('wf_workflows')
    .values({ workflow_id: workflow.doc.workflow_id, job_id: workflow.jobId, owner_id: workflow.ownerId, request_digest: requestDigest, created_at: now, doc: JSON.stringify(workflow.doc) })
    .execute();
  if (directives.length > 0) {
    await db
      .insertInto('wf_task_directives')
      .values(directives.map((doc) => ({ task_id: doc.task_id, workflow_id: doc.workflow_id, doc: JSON.stringify(doc) })))
      .execute();
  }
  await insertTaskforces(db, taskforces.map((doc) => ({ doc, requestDigest: '' })), now);
}

export async function insertTaskforces(db: Db, taskforces: readonly NewTaskforce[], now: number): Promise<void> {
  if (taskforces.length === 0) return;
  await db
    .insertInto('wf_taskforces')
    .values(
      taskforces.map(({ doc, requestDigest }) => ({
        taskforce_uuid: doc.taskforce_uuid,
        workflow_id: doc.workflow_id,
        task_id: doc.task_id,
        phase: doc.phase,
        schedd: doc.schedd,
        request_digest: requestDigest,
        created_at: now,
        doc: JSON.stringify(doc),
      })),
    )
    .execute();
}

/** The workflow `ownerId` made with the same request since `since`, if any (a replayed POST). */
export async function workflowOfRequest(db: Db, ownerId: string, requestDigest: string, since: number): Promise<StoredWorkflow | undefined> {
  const row = await db
    .selectFrom('wf_workflows')
    .select(['doc', 'job_id', 'owner_id'])
    .where('owner_id', '=', ownerId)
    .where('request_digest', '=', requestDigest)
    .where('created_at', '>=', since)
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  return row ? { doc: parsed<WorkflowDoc>(row.doc), jobId: row.job_id, ownerId: row.owner_id } : undefined;
}

/** The taskforce the same add-workers request made since `since`, if any. */
export async function taskforceOfRequest(db: Db, taskId: string, requestDigest: string, since: number): Promise<TaskforceDoc | undefined> {
  const row = await db
    .selectFrom('wf_taskforces')
    .select('doc')
    .where('task_id', '=', taskId)
    .where('request_digest', '=', requestDigest)
    .where('created_at', '>=', since)
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  return row ? parsed<TaskforceDoc>(row.doc) : undefined;
}

export async function getWorkflow(db: Db, workflowId: string): Promise<StoredWorkflow | undefined> {
  const row = await db.selectFrom('wf_workflows').select(['doc', 'job_id', 'owner_id']).where('workflow_id', '=', workflowId).executeTakeFirst();
  return row ? { doc: parsed<WorkflowDoc>(row.doc), jobId: row.job_id, ownerId: row.owner_id } : undefined;
}

export async function workflowOfJob(db: Db, jobId: string): Promise<StoredWorkflow | undefined> {
  const row = await db.selectFrom('wf_workflows').select(['doc', 'job_id', 'owner_id']).where('job_id', '=', jobId).executeTakeFirst();
  return row ? { doc: parsed<WorkflowDoc>(row.doc), jobId: row.job_id, ownerId: row.owner_id } : undefined;
}

/** Writes the workflow's document while it is still active; false when it was deactivated meanwhile. */
export async function deactivateWorkflow(db: Db, doc: WorkflowDoc): Promise<boolean> {
  const current = await getWorkflow(db, doc.workflow_id);
  if (!current || current.doc.deactivated !== null) return false;
  await db.updateTable('wf_workflows').set({ doc: JSON.stringify(doc) }).where('workflow_id', '=', doc.workflow_id).execute();
  return true;
}

export async function getTaskDirective(db: Db, taskId: string): Promise<TaskDirectiveDoc | undefined> {
  const row = await db.selectFrom('wf_task_directives').select('doc').where('task_id', '=', taskId).executeTakeFirst();
  return row ? parsed<TaskDirectiveDoc>(row.doc) : undefined;
}

export async function taskDirectivesOf(db: Db, workflowId: string): Promise<TaskDirectiveDoc[]> {
  const rows = await db.selectFrom('wf_task_directives').select('doc').where('workflow_id', '=', workflowId).orderBy('seq').execute();
  return rows.map((row) => parsed<TaskDirectiveDoc>(row.doc));
}

export async function getTaskforce(db: Db, taskforceUuid: string): Promise<TaskforceDoc | undefined> {
  const row = await db.selectFrom('wf_taskforces').select('doc').where('taskforce_uuid', '=', taskforceUuid).executeTakeFirst();
  return row ? parsed<TaskforceDoc>(row.doc) : undefined;
}

/** The taskforce's sequence number: unique, and fixed once made (Gantry's HTCondor-like cluster id). */
export async function taskforceSeq(db: Db, taskforceUuid: string): Promise<number | undefined> {
  const row = await db.selectFrom('wf_taskforces').select('seq').where('taskforce_uuid', '=', taskforceUuid).executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

export async function taskforcesOf(db: Db, workflowId: string): Promise<TaskforceDoc[]> {
  const rows = await db.selectFrom('wf_taskforces').select('doc').where('workflow_id', '=', workflowId).orderBy('seq').execute();
  return rows.map((row) => parsed<TaskforceDoc>(row.doc));
}

/** Taskforces in one of `phases`, of `schedd` when given, in the order they were made. */
export async function taskforcesInPhases(db: Db, phases: readonly TaskforcePhase[], schedd?: string): Promise<TaskforceDoc[]> {
  let query = db.selectFrom('wf_taskforces').select('doc').where('phase', 'in', [...phases]);
  if (schedd !== undefined) query = query.where('schedd', '=', schedd);
  const rows = await query.orderBy('seq').execute();
  return rows.map((row) => parsed<TaskforceDoc>(row.doc));
}

/**
 * Writes a taskforce's document if its phase is still `expectedPhase` (what the
 * caller read); false when another change moved it first.
 */
export async function updateTaskforce(db: Db, doc: TaskforceDoc, expectedPhase: TaskforcePhase): Promise<boolean> {
  const result = await db
    .updateTable('wf_taskforces')
    .set({ doc: JSON.stringify(doc), phase: doc.phase })
    .where('taskforce_uuid', '=', doc.taskforce_uuid)
    .where('phase', '=', expectedPhase)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
