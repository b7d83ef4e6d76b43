import type { Db } from './dialect.js';

/** The message queues of workflows: which workflow each belongs to, under which alias, and whether its users may use it. */

export interface WorkflowQueue {
  queueId: string;
  workflowId: string;
  alias: string;
  isPublic: boolean;
  createdAt: number;
  activatedAt: number | null;
  closedAt: number | null;
}

export async function insertMany(db: Db, queues: readonly WorkflowQueue[]): Promise<void> {
  if (queues.length === 0) return;
  await db
    .insertInto('mq_queues')
    .values(queues.map((queue) => ({ queue_id: queue.queueId, workflow_id: queue.workflowId, alias: queue.alias, public: queue.isPublic ? 1 : 0, created_at: queue.createdAt, activated_at: queue.activatedAt, closed_at: queue.closedAt })))
    .execute();
}

function toQueue(row: { queue_id: string; workflow_id: string; alias: string; public: number; created_at: number; activated_at: number | null; closed_at: number | null }): WorkflowQueue {
  return {
    queueId: row.queue_id,
    workflowId: row.workflow_id,
    alias: row.alias,
    isPublic: Number(row.public) === 1,
    createdAt: Number(row.created_at),
    activatedAt: row.activated_at === null ? null : Number(row.activated_at),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
  };
}

export async function get(db: Db, queueId: string): Promise<WorkflowQueue | undefined> {
  const row = await db.selectFrom('mq_queues').selectAll().where('queue_id', '=', queueId).executeTakeFirst();
  return row ? toQueue(row) : undefined;
}

export async function ofWorkflow(db: Db, workflowId: string): Promise<WorkflowQueue[]> {
  const rows = await db.selectFrom('mq_queues').selectAll().where('workflow_id', '=', workflowId).orderBy('created_at').orderBy('alias').execute();
  return rows.map(toQueue);
}

export async function closeOfWorkflow(db: Db, workflowId: string, now: number): Promise<void> {
  await db.updateTable('mq_queues').set({ closed_at: now }).where('workflow_id', '=', workflowId).where('closed_at', 'is', null).execute();
}

export async function activateOfWorkflow(db: Db, workflowId: string, now: number): Promise<void> {
  await db.updateTable('mq_queues').set({ activated_at: now }).where('workflow_id', '=', workflowId).where('activated_at', 'is', null).execute();
}
