import { sql, type Kysely } from 'kysely';

/**
 * Quotas: what a user may hold of the cluster at once (executions, cores,
 * memory) and for how long. 0 means no limit. Every user has the `default`
 * quota (id 1, no limits) unless given another. Frozen: never edit a migration
 * that has shipped; add a new one. Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const table = db.schema.createTable('quotas');
  await (dialect === 'postgres' ? table.addColumn('num_id', 'bigserial', (c) => c.primaryKey()) : table.addColumn('num_id', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('concurrent_executions', 'integer', (c) => c.notNull())
    .addColumn('cores', 'real', (c) => c.notNull())
    .addColumn('memory', ms, (c) => c.notNull())
    // Hours, as Zoe counts it.
    .addColumn('runtime_limit', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await sql`insert into quotas (name, concurrent_executions, cores, memory, runtime_limit, created_at) values ('default', 0, 0, 0, 0, ${Date.now()})`.execute(db);
  await db.schema
    .createTable('user_quotas')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('quota_id', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_quotas_quota_idx').on('user_quotas').column('quota_id').execute();
}
