import { sql, type Kysely } from 'kysely';

/**
 * Metric chunks as binary: their (time, value) float64 pairs as they are, half
 * the size of hex text, read without decoding. Appending stays a
 * concatenation in the insert itself (bytea on PostgreSQL, blob on SQLite).
 * Frozen: never edit a migration that has shipped; add a new one. Imports
 * nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('metric_chunks_binary')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('chunk_start', big, (c) => c.notNull())
    .addColumn('samples', 'integer', (c) => c.notNull())
    .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_chunks_binary_pk', ['cluster', 'host', 'metric', 'scope', 'scope_id', 'job_id', 'chunk_start'])
    .execute();
  const decoded = dialect === 'postgres' ? sql`decode(data, 'hex')` : sql`unhex(data)`;
  await sql`insert into metric_chunks_binary (cluster, host, metric, scope, scope_id, job_id, chunk_start, samples, data)
    select cluster, host, metric, scope, scope_id, job_id, chunk_start, samples, ${decoded} from metric_chunks`.execute(db);
  await db.schema.dropTable('metric_chunks').execute();
  await db.schema.alterTable('metric_chunks_binary').renameTo('metric_chunks').execute();
  await db.schema.createIndex('metric_chunks_job_idx').on('metric_chunks').columns(['job_id', 'chunk_start']).execute();
  await db.schema.createIndex('metric_chunks_start_idx').on('metric_chunks').column('chunk_start').execute();
}
