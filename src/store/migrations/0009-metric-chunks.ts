import type { Kysely } from 'kysely';

/**
 * Metric samples kept in chunks: one row per series (cluster, host, metric,
 * scope and scope id, and the Gantry job when a worker sampled a task of its
 * own) and hour, its samples packed as (time, value) pairs of float64 in hex
 * (so that a write appends by concatenation, in the insert itself). A row
 * per sample cost more than the samples themselves (three indexes to update for
 * each); a chunk is written once per flush and read whole. Replaces
 * metric_samples. Frozen: never edit a migration that has shipped; add a new
 * one. Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.dropTable('metric_samples').execute();
  await db.schema
    .createTable('metric_chunks')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    // The Gantry job the samples were taken for, or '' for a collector's.
    .addColumn('job_id', 'text', (c) => c.notNull())
    // Seconds since the epoch, a multiple of the chunk length.
    .addColumn('chunk_start', big, (c) => c.notNull())
    .addColumn('samples', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_chunks_pk', ['cluster', 'host', 'metric', 'scope', 'scope_id', 'job_id', 'chunk_start'])
    .execute();
  await db.schema.createIndex('metric_chunks_job_idx').on('metric_chunks').columns(['job_id', 'chunk_start']).execute();
  await db.schema.createIndex('metric_chunks_start_idx').on('metric_chunks').column('chunk_start').execute();
}
