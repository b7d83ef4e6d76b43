import type { Selectable } from 'kysely';
import type { AppRole } from '../core/app-role.js';
import type { Db } from './dialect.js';
import type { AppRoleRow } from './tables.js';

export type AppRoleFields = Omit<AppRole, 'id'>;

const COLUMNS: Record<Exclude<keyof AppRoleFields, 'name'>, Exclude<keyof AppRoleRow, 'num_id' | 'name' | 'created_at'>> = {
  canSeeStatus: 'can_see_status',
  canChangeConfig: 'can_change_config',
  canOperateOthers: 'can_operate_others',
  canDeleteExecutions: 'can_delete_executions',
  canAccessApi: 'can_access_api',
  canCustomizeResources: 'can_customize_resources',
  canAccessFullZappShop: 'can_access_full_zapp_shop',
};

function roleFromRow(row: Selectable<AppRoleRow>): AppRole {
  const role = { id: Number(row.num_id), name: row.name } as AppRole;
  for (const [field, column] of Object.entries(COLUMNS)) (role as unknown as Record<string, unknown>)[field] = Number(row[column]) === 1;
  return role;
}

type RoleColumns = Partial<Omit<AppRoleRow, 'num_id' | 'created_at'>>;

function rowOf(fields: Partial<AppRoleFields>): RoleColumns {
  const row: Partial<Record<keyof AppRoleRow, unknown>> = {};
  if (fields.name !== undefined) row.name = fields.name;
  for (const [field, column] of Object.entries(COLUMNS)) {
    const value = fields[field as keyof typeof COLUMNS];
    if (value !== undefined) row[column] = value ? 1 : 0;
  }
  return row as RoleColumns;
}

export async function list(db: Db): Promise<AppRole[]> {
  return (await db.selectFrom('app_roles').selectAll().orderBy('num_id').execute()).map(roleFromRow);
}

export async function get(db: Db, id: number): Promise<AppRole | undefined> {
  const row = await db.selectFrom('app_roles').selectAll().where('num_id', '=', id).executeTakeFirst();
  return row ? roleFromRow(row) : undefined;
}

export async function getByName(db: Db, name: string): Promise<AppRole | undefined> {
  const row = await db.selectFrom('app_roles').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? roleFromRow(row) : undefined;
}

export async function insert(db: Db, fields: AppRoleFields, now: number): Promise<number> {
  const row = await db
    .insertInto('app_roles')
    .values({ ...(rowOf(fields) as Omit<AppRoleRow, 'num_id' | 'created_at'>), created_at: now })
    .returning('num_id')
    .executeTakeFirstOrThrow();
  return Number(row.num_id);
}

export async function update(db: Db, id: number, fields: Partial<AppRoleFields>): Promise<void> {
  const row = rowOf(fields);
  if (Object.keys(row).length > 0) await db.updateTable('app_roles').set(row).where('num_id', '=', id).execute();
}

export async function remove(db: Db, id: number): Promise<void> {
  await db.deleteFrom('app_roles').where('num_id', '=', id).execute();
}

export async function usersWithRole(db: Db, id: number): Promise<number> {
  const row = await db.selectFrom('user_app_roles').select((eb) => eb.fn.countAll<number>().as('count')).where('role_id', '=', id).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function roleIdsOfUsers(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('user_app_roles').selectAll().execute();
  return new Map(rows.map((row) => [row.user_id, Number(row.role_id)]));
}

export async function roleIdOfUser(db: Db, userId: string): Promise<number | undefined> {
  const row = await db.selectFrom('user_app_roles').select('role_id').where('user_id', '=', userId).executeTakeFirst();
  return row ? Number(row.role_id) : undefined;
}

export async function setUserRole(db: Db, userId: string, roleId: number | undefined): Promise<void> {
  await db.deleteFrom('user_app_roles').where('user_id', '=', userId).execute();
  if (roleId !== undefined) await db.insertInto('user_app_roles').values({ user_id: userId, role_id: roleId }).execute();
}
