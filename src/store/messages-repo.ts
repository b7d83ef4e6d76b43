import { sql } from 'kysely';
import { arrayParam, inIntegerArray, textElements, type Db, type SqlDialect } from './dialect.js';
import { prepared } from './prepared.js';

/**
 * The messages of the embedded message queues. Each statement works on a batch
 * (a publish inserts many rows, a claim leases many, an ack deletes many) and
 * takes the batch as one array parameter, so its text is the same for any
 * batch: compiled once, and parsed once per PostgreSQL connection.
 */

export interface ClaimedMessage {
  id: number;
  body: string;
  deliveries: number;
}

// Ids come in publish order: the rows are inserted in the array's order.
const insertBodies = prepared<{ dialect: SqlDialect; queueId: string; bodies: unknown; now: number }, unknown>((db, arg, { dialect }) => {
  const body = textElements(dialect, arg('bodies'));
  const statement = sql`insert into mq_messages (queue_id, body, published_at, visible_at, deliveries, lease)
    select ${arg('queueId')}, ${body.value}, ${arg('now')}, ${arg('now')}, 0, null from ${body.from} order by ${body.order}`;
  return { compile: () => statement.compile(db) };
});

/** Most messages one statement inserts (the queue routes take at most 1,000 at once). */
const INSERT_ROWS = 1_000;

export async function publishMany(db: Db, dialect: SqlDialect, queueId: string, bodies: readonly string[], now: number): Promise<void> {
  const write = async (trx: Db): Promise<void> => {
    for (let i = 0; i < bodies.length; i += INSERT_ROWS) {
      await insertBodies(trx, { dialect, queueId, bodies: arrayParam(dialect, bodies.slice(i, i + INSERT_ROWS)), now });
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
 * PostgreSQL claims in one statement that skips rows other consumers hold. The
 * candidates must be read from the queue's index in id order, stopping after
 * `max` (leased messages at the head of the queue are passed over on the way).
 * A queue fills far faster than its statistics follow (a workflow publishes its
 * events at once), so the planner, reckoning a few rows, would rather read every
 * message of the queue and sort them: a claim then costs as much as the queue
 * is deep (10 ms a claim of 100 in bench:workflows). A limit it cannot read
 * before running, a sub-select, makes it assume a tenth of the rows and so read
 * the index in order, whatever the statistics say. The updates find the locked rows by
 * their ctid (no index search); a row's version cannot move while this
 * statement holds its lock, and a candidate whose newest version this
 * statement cannot see is left as it is, for a later claim.
 */
const claimStatement = prepared<ClaimRequest, ClaimedMessage>((db, arg) => {
  const statement = sql`
    with candidates as (
      select ctid, id, deliveries from mq_messages
      where queue_id = ${arg('queueId')} and visible_at <= ${arg('now')}
      order by id limit (select ${arg('max')}::integer) for update skip locked
    ),
    dead as (
      update mq_messages m set queue_id = ${arg('deadLetterQueueId')}, deliveries = 0, visible_at = ${arg('now')}, lease = null
      from candidates c where m.ctid = c.ctid and c.deliveries >= ${arg('maxDeliveries')}
      returning m.id
    )
    update mq_messages m set visible_at = ${arg('visibleAt')}, deliveries = m.deliveries + 1, lease = ${arg('lease')}
    from candidates c where m.ctid = c.ctid and c.deliveries < ${arg('maxDeliveries')}
    returning m.id, m.body, m.deliveries`;
  return { compile: () => statement.compile(db) };
});

const selectCandidates = prepared<{ queueId: string; now: number; max: number }, { id: number; deliveries: number }>((db, arg) =>
  db
    .selectFrom('mq_messages')
    .select(['id', 'deliveries'])
    .where('queue_id', '=', arg<string>('queueId'))
    .where('visible_at', '<=', arg<number>('now'))
    .orderBy('id')
    .limit(arg<number>('max')),
);

const deadLetterIds = prepared<{ ids: unknown; deadLetterQueueId: string; now: number }, unknown>((db, arg) => {
  const statement = sql`update mq_messages set queue_id = ${arg('deadLetterQueueId')}, deliveries = 0, visible_at = ${arg('now')}, lease = null
    where ${inIntegerArray('sqlite', 'id', arg('ids'))}`;
  return { compile: () => statement.compile(db) };
});

const leaseIds = prepared<{ ids: unknown; visibleAt: number; lease: string }, ClaimedMessage>((db, arg) => {
  const statement = sql`update mq_messages set visible_at = ${arg('visibleAt')}, deliveries = deliveries + 1, lease = ${arg('lease')}
    where ${inIntegerArray('sqlite', 'id', arg('ids'))} returning id, body, deliveries`;
  return { compile: () => statement.compile(db) };
});

/**
 * Leases up to `max` deliverable messages, oldest first, and moves those that
 * ran out of deliveries to the dead-letter queue on the way. PostgreSQL does it
 * in one statement (above); SQLite, with its one writer, reads the candidates
 * and updates them by id in a transaction.
 */
export async function claimMany(db: Db, dialect: SqlDialect, request: ClaimRequest): Promise<ClaimedMessage[]> {
  if (dialect === 'postgres') return (await claimStatement(db, request)).rows.sort((a, b) => a.id - b.id);
  const claim = async (trx: Db): Promise<ClaimedMessage[]> => {
    const candidates = (await selectCandidates(trx, request)).rows;
    if (candidates.length === 0) return [];
    const spent = candidates.filter((row) => row.deliveries >= request.maxDeliveries).map((row) => row.id);
    const live = candidates.filter((row) => row.deliveries < request.maxDeliveries).map((row) => row.id);
    if (spent.length > 0) await deadLetterIds(trx, { ids: arrayParam('sqlite', spent), deadLetterQueueId: request.deadLetterQueueId, now: request.now });
    if (live.length === 0) return [];
    return (await leaseIds(trx, { ids: arrayParam('sqlite', live), visibleAt: request.visibleAt, lease: request.lease })).rows.sort((a, b) => a.id - b.id);
  };
  return db.isTransaction ? claim(db) : db.transaction().execute(claim);
}

const deleteLeased = prepared<{ dialect: SqlDialect; queueId: string; lease: string; ids: unknown }, unknown>((db, arg, { dialect }) => {
  const statement = sql`delete from mq_messages where queue_id = ${arg('queueId')} and lease = ${arg('lease')} and ${inIntegerArray(dialect, 'id', arg('ids'))}`;
  return { compile: () => statement.compile(db) };
});

const releaseLeased = prepared<{ dialect: SqlDialect; queueId: string; lease: string; ids: unknown; visibleAt: number }, unknown>((db, arg, { dialect }) => {
  const statement = sql`update mq_messages set visible_at = ${arg('visibleAt')}, lease = null
    where queue_id = ${arg('queueId')} and lease = ${arg('lease')} and ${inIntegerArray(dialect, 'id', arg('ids'))}`;
  return { compile: () => statement.compile(db) };
});

/** Deletes the messages still leased under `lease`; returns how many. */
export async function ackMany(db: Db, dialect: SqlDialect, queueId: string, lease: string, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await deleteLeased(db, { dialect, queueId, lease, ids: arrayParam(dialect, ids) });
  return Number(result.numAffectedRows ?? 0);
}

/** Ends the lease of the messages still held under `lease`: deliverable again at `visibleAt`. */
export async function releaseMany(db: Db, dialect: SqlDialect, queueId: string, lease: string, ids: readonly number[], visibleAt: number): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await releaseLeased(db, { dialect, queueId, lease, ids: arrayParam(dialect, ids), visibleAt });
  return Number(result.numAffectedRows ?? 0);
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
