import type { Kysely } from 'kysely';

/**
 * The last state a batch system reported of each of its nodes (ClusterCockpit's
 * node states, from its adapter's POST /api/nodestate/). Frozen: never edit a
 * migration that has shipped; add a new one. Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('node_states')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    // allocated, reserved, idle, mixed, down or unknown.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('states', 'text', (c) => c.notNull())
    .addColumn('cpus_allocated', 'integer', (c) => c.notNull())
    .addColumn('memory_allocated', big, (c) => c.notNull())
    .addColumn('gpus_allocated', 'integer', (c) => c.notNull())
    .addColumn('jobs_running', 'integer', (c) => c.notNull())
    .addColumn('reported_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('node_states_pk', ['cluster', 'hostname'])
    .execute();
}
