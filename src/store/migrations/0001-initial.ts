import { sql, type Kysely } from 'kysely';

/**
 * Frozen: never edit a migration that has shipped; add a new one.
 * Imports nothing of Gantry's so that later code changes cannot alter it.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';

  let jobs = db.schema.createTable('jobs');
  jobs =
    dialect === 'postgres'
      ? jobs.addColumn('num_id', 'bigserial', (c) => c.primaryKey())
      : jobs.addColumn('num_id', 'integer', (c) => c.primaryKey().autoIncrement());
  await jobs
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('task_count', 'integer', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('parent_job_id', 'text')
    .addColumn('parent_task_id', 'text')
    .addColumn('scheduled_job_id', 'text')
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('scheduled_at', ms)
    .addColumn('started_at', ms)
    .addColumn('completed_at', ms)
    .addColumn('failed_at', ms)
    .addColumn('cancelled_at', ms)
    .execute();
  await db.schema.createIndex('jobs_created_idx').on('jobs').columns(['created_at', 'num_id']).execute();
  await db.schema.createIndex('jobs_state_idx').on('jobs').column('state').execute();
  await db.schema.createIndex('jobs_parent_task_idx').on('jobs').column('parent_task_id').execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sibling_index', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('run_spec', 'text')
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('retry_limit', 'integer', (c) => c.notNull())
    .addColumn('node_id', 'text')
    .addColumn('backend_id', 'text')
    .addColumn('exit_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('result', 'text')
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('completions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('subjob_id', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('enqueued_at', ms, (c) => c.notNull())
    .addColumn('run_after', ms, (c) => c.notNull())
    .addColumn('scheduled_at', ms)
    .addColumn('started_at', ms)
    .addColumn('completed_at', ms)
    .addColumn('failed_at', ms)
    .execute();
  await db.schema.createIndex('tasks_job_idx').on('tasks').columns(['job_id', 'position', 'sibling_index']).execute();
  await db.schema.createIndex('tasks_parent_idx').on('tasks').column('parent_id').execute();
  await db.schema.createIndex('tasks_node_idx').on('tasks').columns(['node_id', 'state']).execute();
  // The claim reads pending tasks of a queue by priority, then age.
  await db.schema
    .createIndex('tasks_claim_idx')
    .on('tasks')
    .expression(sql`queue, priority desc, enqueued_at, id`)
    .where(sql.ref('state'), '=', 'pending')
    .execute();

  let logs = db.schema.createTable('task_logs');
  logs =
    dialect === 'postgres'
      ? logs.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : logs.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await logs
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('contents', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_logs_task_idx').on('task_logs').columns(['task_id', 'number']).execute();
  await db.schema.createIndex('task_logs_job_idx').on('task_logs').columns(['job_id', 'id']).execute();

  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('private_queue', 'text', (c) => c.notNull())
    .addColumn('queues', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cpu_percent', 'real', (c) => c.notNull())
    .addColumn('max_tasks', 'integer', (c) => c.notNull())
    .addColumn('capacity_cpus', 'real', (c) => c.notNull())
    .addColumn('capacity_memory_bytes', ms, (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('task_count', 'integer', (c) => c.notNull())
    .addColumn('started_at', ms, (c) => c.notNull())
    .addColumn('last_heartbeat_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('queues')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('scheduled_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('next_run_at', ms)
    .addColumn('last_run_at', ms)
    .execute();
  await db.schema.createIndex('scheduled_jobs_due_idx').on('scheduled_jobs').columns(['state', 'next_run_at']).execute();
}
