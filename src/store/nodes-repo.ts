import type { NodeStatus, WorkerNode } from '../core/model.js';
import type { Db } from './dialect.js';
import { nodeFromRow } from './mappers.js';

export async function insert(db: Db, node: WorkerNode): Promise<void> {
  await db
    .insertInto('nodes')
    .values({
      id: node.id,
      name: node.name,
      hostname: node.hostname,
      version: node.version,
      private_queue: node.privateQueue,
      queues: JSON.stringify(node.queues),
      status: node.status,
      cpu_percent: node.cpuPercent,
      max_tasks: node.maxTasks,
      capacity_cpus: node.capacityCpus,
      capacity_memory_bytes: node.capacityMemoryBytes,
      labels: JSON.stringify(node.labels),
      task_count: node.taskCount,
      started_at: node.startedAt,
      last_heartbeat_at: node.lastHeartbeatAt,
    })
    .execute();
}

export async function get(db: Db, id: string): Promise<WorkerNode | undefined> {
  const row = await db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? nodeFromRow(row) : undefined;
}

export async function listByStatus(db: Db, statuses: readonly NodeStatus[]): Promise<WorkerNode[]> {
  const rows = await db.selectFrom('nodes').selectAll().where('status', 'in', statuses).orderBy('started_at').execute();
  return rows.map(nodeFromRow);
}

/** Nodes whose last heartbeat came after `since`, whatever their status, by name. */
export async function listSeenSince(db: Db, since: number): Promise<WorkerNode[]> {
  const rows = await db.selectFrom('nodes').selectAll().where('last_heartbeat_at', '>', since).orderBy('name').orderBy('started_at').execute();
  return rows.map(nodeFromRow);
}

export async function heartbeat(db: Db, id: string, args: { cpuPercent: number; taskCount: number; at: number }): Promise<boolean> {
  const result = await db
    .updateTable('nodes')
    .set({ cpu_percent: args.cpuPercent, task_count: args.taskCount, last_heartbeat_at: args.at, status: 'UP' })
    .where('id', '=', id)
    .where('status', '=', 'UP')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setStatus(db: Db, id: string, status: NodeStatus): Promise<void> {
  await db.updateTable('nodes').set({ status }).where('id', '=', id).execute();
}

/** Marks every UP node whose last heartbeat is older than `before` as DOWN; returns their ids. */
export async function markStaleDown(db: Db, before: number): Promise<string[]> {
  const rows = await db
    .updateTable('nodes')
    .set({ status: 'DOWN' })
    .where('status', '=', 'UP')
    .where('last_heartbeat_at', '<', before)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Marks every node that is still UP as OFFLINE (a server start: its old in-process nodes are gone). */
export async function markAllOffline(db: Db, except: readonly string[] = []): Promise<string[]> {
  let query = db.updateTable('nodes').set({ status: 'OFFLINE' }).where('status', '=', 'UP');
  if (except.length > 0) query = query.where('id', 'not in', except);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}
