import type { Kysely } from 'kysely';

/**
 * Service instances of multi-service applications. Frozen: never edit a
 * migration that has shipped; add a new one. Imports nothing of Gantry's.
 *
 * An instance outlives its runs: an elastic instance stopped to make room keeps
 * its id and name and gets a new task when it runs again.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const table = db.schema.createTable('app_services');
  await (dialect === 'postgres'
    ? table.addColumn('num_id', 'bigserial', (c) => c.primaryKey())
    : table.addColumn('num_id', 'integer', (c) => c.primaryKey().autoIncrement())
  )
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text')
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('instance_index', 'integer', (c) => c.notNull())
    .addColumn('essential', 'integer', (c) => c.notNull())
    .addColumn('monitor', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('host', 'text')
    // JSON array of {name, port, protocol, hostPort}.
    .addColumn('ports', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('app_services_job_idx').on('app_services').columns(['job_id', 'num_id']).execute();
  await db.schema.createIndex('app_services_task_idx').on('app_services').column('task_id').execute();
}
