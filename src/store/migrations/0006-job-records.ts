import type { Kysely } from 'kysely';

/**
 * Monitoring records of jobs (ClusterCockpit's job table): what a batch system
 * ran, as its adapter reports it, for jobs of kind `external`. Their tags
 * (type, name, scope; a private tag's scope is its owner's name) and which job
 * has which. Frozen: never edit a migration that has shipped; add a new one.
 * Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('job_records')
    // The job's id (jobs.id); its numeric id is the record's id.
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('num_id', big, (c) => c.notNull().unique())
    .addColumn('batch_job_id', big, (c) => c.notNull())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('sub_cluster', 'text', (c) => c.notNull())
    .addColumn('partition', 'text')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('array_job_id', big)
    .addColumn('num_nodes', 'integer', (c) => c.notNull())
    .addColumn('num_hwthreads', 'integer', (c) => c.notNull())
    .addColumn('num_acc', 'integer', (c) => c.notNull())
    .addColumn('shared', 'text', (c) => c.notNull())
    .addColumn('walltime', big, (c) => c.notNull())
    .addColumn('smt', 'integer')
    // Seconds since the epoch, as ClusterCockpit keeps them.
    .addColumn('submit_time', big)
    .addColumn('start_time', big, (c) => c.notNull())
    .addColumn('duration', big, (c) => c.notNull())
    .addColumn('job_state', 'text', (c) => c.notNull())
    .addColumn('monitoring_status', 'integer', (c) => c.notNull())
    .addColumn('requested_memory', big)
    .addColumn('energy', 'real')
    // JSON: resources, metaData, footprint, energyFootprint.
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('meta_data', 'text', (c) => c.notNull())
    .addColumn('footprint', 'text')
    .addColumn('energy_footprint', 'text')
    .execute();
  await db.schema.createIndex('job_records_batch_idx').on('job_records').columns(['cluster', 'batch_job_id', 'start_time']).execute();
  await db.schema.createIndex('job_records_start_idx').on('job_records').columns(['start_time', 'num_id']).execute();
  await db.schema.createIndex('job_records_state_idx').on('job_records').columns(['job_state', 'start_time']).execute();
  await db.schema.createIndex('job_records_user_idx').on('job_records').columns(['user_name', 'start_time']).execute();

  const tags = db.schema.createTable('job_tags_catalog');
  await (dialect === 'postgres' ? tags.addColumn('id', 'bigserial', (c) => c.primaryKey()) : tags.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('tag_type', 'text', (c) => c.notNull())
    .addColumn('tag_name', 'text', (c) => c.notNull())
    .addColumn('tag_scope', 'text', (c) => c.notNull())
    .addUniqueConstraint('job_tags_catalog_unique', ['tag_type', 'tag_name', 'tag_scope'])
    .execute();
  await db.schema
    .createTable('job_tag_links')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('job_tag_links_pk', ['job_id', 'tag_id'])
    .execute();
  await db.schema.createIndex('job_tag_links_tag_idx').on('job_tag_links').column('tag_id').execute();
}
