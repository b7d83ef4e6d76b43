import type { Selectable } from 'kysely';
import { DEFAULT_QUOTA_ID, type Quota } from '../core/quota.js';
import type { Db } from './dialect.js';
import type { QuotaRow } from './tables.js';

function quotaFromRow(row: Selectable<QuotaRow>): Quota {
  return {
    id: Number(row.num_id),
    name: row.name,
    concurrentExecutions: Number(row.concurrent_executions),
    cores: Number(row.cores),
    memoryBytes: Number(row.memory),
    runtimeLimitHours: Number(row.runtime_limit),
  };
}

export type QuotaFields = Omit<Quota, 'id'>;

function rowOf(fields: Partial<QuotaFields>): Partial<Omit<QuotaRow, 'num_id' | 'created_at'>> {
  const row: Partial<Omit<QuotaRow, 'num_id' | 'created_at'>> = {};
  if (fields.name !== undefined) row.name = fields.name;
  if (fields.concurrentExecutions !== undefined) row.concurrent_executions = fields.concurrentExecutions;
  if (fields.cores !== undefined) row.cores = fields.cores;
  if (fields.memoryBytes !== undefined) row.memory = fields.memoryBytes;
  if (fields.runtimeLimitHours !== undefined) row.runtime_limit = fields.runtimeLimitHours;
  return row;
}

export async function list(db: Db): Promise<Quota[]> {
  return (await db.selectFrom('quotas').selectAll().orderBy('num_id').execute()).map(quotaFromRow);
}

export async function get(db: Db, id: number): Promise<Quota | undefined> {
  const row = await db.selectFrom('quotas').selectAll().where('num_id', '=', id).executeTakeFirst();
  return row ? quotaFromRow(row) : undefined;
}

export async function getByName(db: Db, name: string): Promise<Quota | undefined> {
  const row = await db.selectFrom('quotas').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? quotaFromRow(row) : undefined;
}

/** Returns the new quota's id, or undefined when the name is taken. */
export async function insert(db: Db, fields: QuotaFields, now: number): Promise<number | undefined> {
  if (await getByName(db, fields.name)) return undefined;
  const row = await db
    .insertInto('quotas')
    .values({ ...(rowOf(fields) as Omit<QuotaRow, 'num_id' | 'created_at'>), created_at: now })
    .returning('num_id')
    .executeTakeFirstOrThrow();
  return Number(row.num_id);
}

export async function update(db: Db, id: number, fields: Partial<QuotaFields>): Promise<void> {
  const row = rowOf(fields);
  if (Object.keys(row).length > 0) await db.updateTable('quotas').set(row).where('num_id', '=', id).execute();
}

export async function remove(db: Db, id: number): Promise<void> {
  await db.deleteFrom('quotas').where('num_id', '=', id).execute();
}

export async function usersWithQuota(db: Db, id: number): Promise<number> {
  const row = await db.selectFrom('user_quotas').select((eb) => eb.fn.countAll<number>().as('count')).where('quota_id', '=', id).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The quota id of each user that has one other than the default. */
export async function quotaIdsOfUsers(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('user_quotas').selectAll().execute();
  return new Map(rows.map((row) => [row.user_id, Number(row.quota_id)]));
}

export async function quotaIdOfUser(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom('user_quotas').select('quota_id').where('user_id', '=', userId).executeTakeFirst();
  return row ? Number(row.quota_id) : DEFAULT_QUOTA_ID;
}

export async function setUserQuota(db: Db, userId: string, quotaId: number): Promise<void> {
  await db.deleteFrom('user_quotas').where('user_id', '=', userId).execute();
  if (quotaId !== DEFAULT_QUOTA_ID) await db.insertInto('user_quotas').values({ user_id: userId, quota_id: quotaId }).execute();
}

export async function forgetUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('user_quotas').where('user_id', '=', userId).execute();
}
