import { sql, type Kysely } from 'kysely';

/**
 * Roles of application users (Zoe's roles), and which user has which. A user
 * without a row here has `admin` (id 1) when a Gantry admin, else `user` (3).
 * Seeded as a fresh Zoe database is, except that `user` may delete its own
 * executions and use the API (Gantry's users may). Frozen: never edit a
 * migration that has shipped; add a new one. Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const table = db.schema.createTable('app_roles');
  await (dialect === 'postgres' ? table.addColumn('num_id', 'bigserial', (c) => c.primaryKey()) : table.addColumn('num_id', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('can_see_status', 'integer', (c) => c.notNull())
    .addColumn('can_change_config', 'integer', (c) => c.notNull())
    .addColumn('can_operate_others', 'integer', (c) => c.notNull())
    .addColumn('can_delete_executions', 'integer', (c) => c.notNull())
    .addColumn('can_access_api', 'integer', (c) => c.notNull())
    .addColumn('can_customize_resources', 'integer', (c) => c.notNull())
    .addColumn('can_access_full_zapp_shop', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  const now = Date.now();
  for (const [name, flags] of [
    ['admin', [1, 1, 1, 1, 1, 1, 1]],
    ['superuser', [1, 0, 0, 0, 1, 1, 1]],
    ['user', [0, 0, 0, 1, 1, 1, 1]],
  ] as const) {
    await sql`insert into app_roles (name, can_see_status, can_change_config, can_operate_others, can_delete_executions, can_access_api, can_customize_resources, can_access_full_zapp_shop, created_at)
      values (${name}, ${flags[0]}, ${flags[1]}, ${flags[2]}, ${flags[3]}, ${flags[4]}, ${flags[5]}, ${flags[6]}, ${now})`.execute(db);
  }
  await db.schema
    .createTable('user_app_roles')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('role_id', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_app_roles_role_idx').on('user_app_roles').column('role_id').execute();
}
