import type { Kysely } from 'kysely';

/**
 * Metric samples: one value of one metric of one host at one time (seconds),
 * of a cluster, as collectors write them (ClusterCockpit's metric store); with
 * the job they were taken for when a Gantry worker sampled a task of its own.
 * Frozen: never edit a migration that has shipped; add a new one. Imports
 * nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('metric_samples')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    // node, socket, core, hwthread, accelerator…, and which one of them.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('ts', big, (c) => c.notNull())
    .addColumn('value', dialect === 'postgres' ? 'double precision' : 'real', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('metric_samples_host_idx').on('metric_samples').columns(['cluster', 'host', 'metric', 'ts']).execute();
  await db.schema.createIndex('metric_samples_job_idx').on('metric_samples').columns(['job_id', 'metric', 'ts']).execute();
  await db.schema.createIndex('metric_samples_ts_idx').on('metric_samples').column('ts').execute();
}
