import { sql } from 'kysely';
import type { Db, SqlDialect } from './dialect.js';
import { claimLock } from './dialect.js';

/**
 * The messages of the embedded message queues. Each statement works on a batch:
 * a publish inserts many rows, a claim leases many, an ack deletes many.
 */

export interface ClaimedMessage {
  id: number;
  body: string;
  deliveries: number;
}

const INSERT_ROWS = 500;

export async function publishMany(db: Db, queueId: string, bodies: readonly string[], now: number): Promise<void> {
  const write = async (trx: Db): Promise<void> => {
    for (let i = 0; i < bodies.length; i += INSERT_ROWS) {
      await trx
        .insertInto('mq_messages')
        .values(bodies.slice(i, i + INSERT_ROWS).map((body) => ({ queue_id: queueId, body, published_at: now, visible_at: now, deliveries: 0, lease: null })))
        .execute();
    }
  };
  await (bodies.length <= INSERT_ROWS || db.isTransaction ? write(db) : db.transaction().execute(write));
}

export interface ClaimRequest {
  queueId: string;
  deadLetterQueueId: string;
  max: number;
  now: number;
  visibleAt: number;
  lease: string;
  /** A message already delivered this many times goes to the dead-letter queue instead. */
  maxDeliveries: number;
}

/**
 * Leases up to `max` deliverable messages, oldest first, and moves those that
 * ran out of deliveries to the dead-letter queue on the way. PostgreSQL does it
 * in one statement that skips rows other consumers hold; SQLite, with its one
 * writer, in a transaction.
 */
export async function claimMany(db: Db, dialect: SqlDialect, request: ClaimRequest): Promise<ClaimedMessage[]> {
  const { queueId, deadLetterQueueId, max, now, visibleAt, lease, maxDeliveries } = request;
  if (dialect === 'postgres') {
    const result = await sql<ClaimedMessage>`
      with candidates as (
        select id, deliveries from mq_messages
        where queue_id = ${queueId} and visible_at <= ${now}
        order by id limit ${max} ${claimLock(dialect)}
      ),
      dead as (
        update mq_messages m set queue_id = ${deadLetterQueueId}, deliveries = 0, visible_at = ${now}, lease = null
        from candidates c where m.id = c.id and c.deliveries >= ${maxDeliveries}
        returning m.id
      )
      update mq_messages m set visible_at = ${visibleAt}, deliveries = m.deliveries + 1, lease = ${lease}
      from candidates c where m.id = c.id and c.deliveries < ${maxDeliveries}
      returning m.id, m.body, m.deliveries`.execute(db);
    return result.rows.sort((a, b) => a.id - b.id);
  }
  const claim = async (trx: Db): Promise<ClaimedMessage[]> => {
    const candidates = await trx
      .selectFrom('mq_messages')
      .select(['id', 'deliveries'])
      .where('queue_id', '=', queueId)
      .where('visible_at', '<=', now)
      .orderBy('id')
      .limit(max)
      .execute();
    if (candidates.length === 0) return [];
    const spent = candidates.filter((row) => row.deliveries >= maxDeliveries).map((row) => row.id);
    const live = candidates.filter((row) => row.deliveries < maxDeliveries).map((row) => row.id);
    if (spent.length > 0) {
      await trx.updateTable('mq_messages').set({ queue_id: deadLetterQueueId, deliveries: 0, visible_at: now, lease: null }).where('id', 'in', spent).execute();
    }
    if (live.length === 0) return [];
    return trx
      .updateTable('mq_messages')
      .set((eb) => ({ visible_at: visibleAt, deliveries: eb('deliveries', '+', 1), lease }))
      .where('id', 'in', live)
      .returning(['id', 'body', 'deliveries'])
      .execute()
      .then((rows) => rows.sort((a, b) => a.id - b.id));
  };
  return db.isTransaction ? claim(db) : db.transaction().execute(claim);
}

/** Deletes the messages still leased under `lease`; returns how many. */
export async function ackMany(db: Db, queueId: string, lease: string, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('mq_messages').where('queue_id', '=', queueId).where('lease', '=', lease).where('id', 'in', [...ids]).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Ends the lease of the messages still held under `lease`: deliverable again at `visibleAt`. */
export async function releaseMany(db: Db, queueId: string, lease: string, ids: readonly number[], visibleAt: number): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('mq_messages')
    .set({ visible_at: visibleAt, lease: null })
    .where('queue_id', '=', queueId)
    .where('lease', '=', lease)
    .where('id', 'in', [...ids])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface MessageCounts {
  ready: number;
  leased: number;
  total: number;
}

export async function countOf(db: Db, queueId: string, now: number): Promise<MessageCounts> {
  const row = await db
    .selectFrom('mq_messages')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn.sum<number>(eb.case().when('visible_at', '<=', now).then(1).else(0).end()).as('ready'),
    ])
    .where('queue_id', '=', queueId)
    .executeTakeFirstOrThrow();
  const total = Number(row.total);
  const ready = Number(row.ready ?? 0);
  return { ready, leased: total - ready, total };
}

/** The earliest time a leased or delayed message of the queue becomes deliverable, if any. */
export async function nextVisibleAt(db: Db, queueId: string, now: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('mq_messages')
    .select((eb) => eb.fn.min<number>('visible_at').as('at'))
    .where('queue_id', '=', queueId)
    .where('visible_at', '>', now)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/** Ends every lease in these queues whose token starts with `prefix` (a consumer that ended); returns how many. */
export async function releaseLeasesOf(db: Db, queueIds: readonly string[], prefix: string, now: number): Promise<number> {
  if (queueIds.length === 0) return 0;
  const result = await db
    .updateTable('mq_messages')
    .set({ visible_at: now, lease: null })
    .where('queue_id', 'in', [...queueIds])
    .where('lease', 'like', `${prefix}%`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
