import { sql, type Kysely } from 'kysely';

/**
 * Event workflows (EWMS): workflows, their task directives and taskforces, kept
 * as the JSON documents EWMS answers with (queried by field path), each with a
 * sequence number that orders pages; and the embedded message queues with their
 * messages. Frozen: never edit a migration that has shipped; add a new one.
 * Imports nothing of Gantry's.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  const doc = dialect === 'postgres' ? 'jsonb' : 'text';
  const withSeq = (name: string) => {
    const table = db.schema.createTable(name);
    return dialect === 'postgres'
      ? table.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : table.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
  };

  await withSeq('wf_workflows')
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    // The Gantry job (kind `workflow`) whose tasks are the workflow's pilots.
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    // A digest of the request that made it, so that a client replaying the POST gets this one again.
    .addColumn('request_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('doc', doc, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wf_workflows_request').on('wf_workflows').columns(['owner_id', 'request_digest']).execute();

  await withSeq('wf_task_directives')
    .addColumn('task_id', 'text', (c) => c.notNull().unique())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('doc', doc, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wf_task_directives_workflow').on('wf_task_directives').column('workflow_id').execute();

  await withSeq('wf_taskforces')
    .addColumn('taskforce_uuid', 'text', (c) => c.notNull().unique())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    // Copies of the document's fields that the taskforce managers poll by.
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('schedd', 'text', (c) => c.notNull())
    // Digest of the add-workers request that made it (empty for a workflow's first taskforces).
    .addColumn('request_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('doc', doc, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wf_taskforces_workflow').on('wf_taskforces').column('workflow_id').execute();
  await db.schema.createIndex('wf_taskforces_phase').on('wf_taskforces').columns(['schedd', 'phase']).execute();

  await db.schema
    .createTable('mq_queues')
    .addColumn('queue_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    // 1 when the workflow's users publish to or read from it (public_queue_aliases).
    .addColumn('public', 'integer', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    // When the broker made it (EWMS's activation): pilots and users can connect from then on.
    .addColumn('activated_at', big)
    // When its workflow ended: nothing more is published to it.
    .addColumn('closed_at', big)
    .execute();
  await db.schema.createIndex('mq_queues_workflow').on('mq_queues').column('workflow_id').execute();

  // Every statement on the messages names the queue, so on PostgreSQL one index,
  // the primary key (queue_id, id), serves claims (a queue's messages in id order)
  // and acks alike; a second index on id alone cost an insertion per message.
  // SQLite keeps its rowid as the key and indexes (queue_id, id) beside it.
  const messages = db.schema.createTable('mq_messages');
  await (dialect === 'postgres' ? messages.addColumn('id', 'bigserial', (c) => c.notNull()) : messages.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('queue_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('published_at', big, (c) => c.notNull())
    // Epoch ms from which it may be delivered (again): publish time, or the end of a delivery's lease.
    .addColumn('visible_at', big, (c) => c.notNull())
    .addColumn('deliveries', 'integer', (c) => c.notNull())
    // The token of the delivery that holds it; an ack must present it.
    .addColumn('lease', 'text')
    // PostgreSQL: pages half full, so that a claim (which changes no indexed
    // column) writes the new row version beside the old one, a HOT update that
    // adds no index entry. Full pages made each claim add an entry at the
    // queue's head, which the next claims then walked over.
    .$call((table) => (dialect === 'postgres' ? table.addPrimaryKeyConstraint('mq_messages_pkey', ['queue_id', 'id']).modifyEnd(sql`with (fillfactor = 50)`) : table))
    .execute();
  if (dialect === 'sqlite') await db.schema.createIndex('mq_messages_queue').on('mq_messages').columns(['queue_id', 'id']).execute();
}
