import type { MetricSample } from '../core/metrics.js';
import type { Db } from './dialect.js';

// SQLite limits bound parameters per statement; 8 columns × 100 rows stays below it.
const INSERT_CHUNK = 100;

/** Writes samples in set-based inserts, inside the caller's transaction when it has one. */
export async function insertSamples(db: Db, samples: readonly MetricSample[]): Promise<void> {
  if (samples.length === 0) return;
  const write = async (trx: Db): Promise<void> => {
    for (let i = 0; i < samples.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('metric_samples')
        .values(
          samples.slice(i, i + INSERT_CHUNK).map((sample) => ({
            cluster: sample.cluster,
            host: sample.host,
            metric: sample.metric,
            scope: sample.scope,
            scope_id: sample.scopeId,
            job_id: sample.jobId,
            ts: sample.ts,
            value: sample.value,
          })),
        )
        .execute();
    }
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

export interface SampleQuery {
  cluster: string;
  hosts: readonly string[];
  metrics?: readonly string[];
  scopes?: readonly string[];
  /** Inclusive bounds, seconds. */
  from: number;
  to: number;
}

export interface StoredSample {
  host: string;
  metric: string;
  scope: string;
  scopeId: string;
  ts: number;
  value: number;
}

/** A job's samples: of its hosts in its time (external jobs), in time order. */
export async function samplesOf(db: Db, query: SampleQuery): Promise<StoredSample[]> {
  if (query.hosts.length === 0) return [];
  let select = db
    .selectFrom('metric_samples')
    .select(['host', 'metric', 'scope', 'scope_id', 'ts', 'value'])
    .where('cluster', '=', query.cluster)
    .where('host', 'in', query.hosts)
    .where('ts', '>=', query.from)
    .where('ts', '<=', query.to);
  if (query.metrics && query.metrics.length > 0) select = select.where('metric', 'in', query.metrics);
  if (query.scopes && query.scopes.length > 0) select = select.where('scope', 'in', query.scopes);
  const rows = await select.orderBy('ts').execute();
  return rows.map((row) => ({ host: row.host, metric: row.metric, scope: row.scope, scopeId: row.scope_id, ts: Number(row.ts), value: Number(row.value) }));
}

/** A Gantry job's own samples (what its tasks used), in time order. */
export async function samplesOfJob(db: Db, jobId: string, query: Omit<SampleQuery, 'cluster' | 'hosts'>): Promise<StoredSample[]> {
  let select = db
    .selectFrom('metric_samples')
    .select(['host', 'metric', 'scope', 'scope_id', 'ts', 'value'])
    .where('job_id', '=', jobId)
    .where('ts', '>=', query.from)
    .where('ts', '<=', query.to);
  if (query.metrics && query.metrics.length > 0) select = select.where('metric', 'in', query.metrics);
  if (query.scopes && query.scopes.length > 0) select = select.where('scope', 'in', query.scopes);
  const rows = await select.orderBy('ts').execute();
  return rows.map((row) => ({ host: row.host, metric: row.metric, scope: row.scope, scopeId: row.scope_id, ts: Number(row.ts), value: Number(row.value) }));
}

/** Removes samples older than `before` (seconds); returns how many. */
export async function removeBefore(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('metric_samples').where('ts', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
