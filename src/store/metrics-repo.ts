import { sql } from 'kysely';
import type { SeriesKey } from '../core/metrics.js';
import type { Db, SqlDialect } from './dialect.js';

/** Seconds one chunk of a series covers. */
export const CHUNK_SECONDS = 3_600;

export type { SeriesKey } from '../core/metrics.js';

export interface StoredChunk {
  host: string;
  metric: string;
  scope: string;
  scopeId: string;
  pairs: Float64Array;
}

/** (time, value) pairs as float64, little-endian: 16 bytes a pair, so chunks append by concatenation. */
function pack(pairs: Float64Array): Buffer {
  return Buffer.from(pairs.buffer, pairs.byteOffset, pairs.byteLength);
}

function unpack(data: Uint8Array): Float64Array {
  if (data.byteOffset % 8 === 0) return new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
  // A driver's buffer need not be 8-byte aligned: then a copy.
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return new Float64Array(copy.buffer);
}

// SQLite limits bound parameters per statement; 9 columns × 100 rows stays below it.
const UPSERT_CHUNK = 100;

/**
 * Appends samples to their chunks, many chunks a statement: a new chunk is
 * inserted, an existing one gets the pairs appended to its data. `batches`
 * must not name one chunk twice. Outside a transaction each statement is its
 * own, and the event loop gets a turn between them: a large write does not
 * hold up the queries meanwhile.
 */
export async function appendToChunks(db: Db, dialect: SqlDialect, batches: ReadonlyArray<{ key: SeriesKey; chunkStart: number; pairs: Float64Array }>): Promise<void> {
  if (batches.length === 0) return;
  // SQLite's || reads blobs as text and keeps every byte; the cast makes the result a blob again.
  const appended = dialect === 'postgres' ? sql<Uint8Array>`metric_chunks.data || excluded.data` : sql<Uint8Array>`cast(metric_chunks.data || excluded.data as blob)`;
  const write = async (trx: Db, from: number): Promise<void> => {
    await trx
      .insertInto('metric_chunks')
      .values(
        batches.slice(from, from + UPSERT_CHUNK).map(({ key, chunkStart, pairs }) => ({
          cluster: key.cluster,
          host: key.host,
          metric: key.metric,
          scope: key.scope,
          scope_id: key.scopeId,
          job_id: key.jobId,
          chunk_start: chunkStart,
          samples: pairs.length / 2,
          data: pack(pairs),
        })),
      )
      .onConflict((oc) =>
        oc.columns(['cluster', 'host', 'metric', 'scope', 'scope_id', 'job_id', 'chunk_start']).doUpdateSet({
          data: appended,
          samples: sql<number>`metric_chunks.samples + excluded.samples`,
        }),
      )
      .execute();
  };
  for (let from = 0; from < batches.length; from += UPSERT_CHUNK) {
    if (db.isTransaction) await write(db, from);
    else {
      await db.transaction().execute((trx) => write(trx, from));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

export interface SampleQuery {
  metrics?: readonly string[];
  scopes?: readonly string[];
  /** Inclusive bounds, seconds. */
  from: number;
  to: number;
}

function chunksFrom(rows: ReadonlyArray<{ host: string; metric: string; scope: string; scope_id: string; data: unknown }>): StoredChunk[] {
  return rows.map((row) => ({ host: row.host, metric: row.metric, scope: row.scope, scopeId: row.scope_id, pairs: unpack(row.data as Uint8Array) }));
}

/** The chunks of a batch system's job: of its hosts on its cluster in its time (samples outside it are the caller's to drop). */
export async function chunksOf(db: Db, query: SampleQuery & { cluster: string; hosts: readonly string[] }): Promise<StoredChunk[]> {
  if (query.hosts.length === 0) return [];
  let select = db
    .selectFrom('metric_chunks')
    .select(['host', 'metric', 'scope', 'scope_id', 'data'])
    .where('cluster', '=', query.cluster)
    .where('host', 'in', query.hosts)
    .where('job_id', '=', '')
    .where('chunk_start', '>=', query.from - (query.from % CHUNK_SECONDS))
    .where('chunk_start', '<=', query.to);
  if (query.metrics && query.metrics.length > 0) select = select.where('metric', 'in', query.metrics);
  if (query.scopes && query.scopes.length > 0) select = select.where('scope', 'in', query.scopes);
  return chunksFrom(await select.execute());
}

/** The chunks of a Gantry job's own samples (what its tasks used). */
export async function chunksOfJob(db: Db, jobId: string, query: SampleQuery): Promise<StoredChunk[]> {
  let select = db
    .selectFrom('metric_chunks')
    .select(['host', 'metric', 'scope', 'scope_id', 'data'])
    .where('job_id', '=', jobId)
    .where('chunk_start', '>=', query.from - (query.from % CHUNK_SECONDS))
    .where('chunk_start', '<=', query.to);
  if (query.metrics && query.metrics.length > 0) select = select.where('metric', 'in', query.metrics);
  if (query.scopes && query.scopes.length > 0) select = select.where('scope', 'in', query.scopes);
  return chunksFrom(await select.execute());
}

/** Removes the chunks that end before `before` (seconds); returns how many. */
export async function removeBefore(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('metric_chunks').where('chunk_start', '<', before - CHUNK_SECONDS).executeTakeFirst();
  return Number(result.numDeletedRows);
}
