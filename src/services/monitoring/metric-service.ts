import type { JobRecord } from '../../core/job-record.js';
import type { HostSeries, JobMetricSeries, MetricSample } from '../../core/metrics.js';
import type { Store } from '../../store/open.js';
import * as jobsRepo from '../../store/jobs-repo.js';
import * as metricsRepo from '../../store/metrics-repo.js';
import type { ClusterInfo } from './clusters.js';

/** Timestep of a metric its cluster does not describe. */
const DEFAULT_TIMESTEP = 10;
/** Most values of one series: a longer job's series are put on a coarser timestep (a multiple of its own). */
const MAX_POINTS = 3_600;

interface MetricConfig {
  name: string;
  unit?: { base: string; prefix?: string };
  timestep?: number;
}

/**
 * Metric time series: samples written by collectors (or Gantry's workers) per
 * cluster, host and metric; a job's metrics are its hosts' samples during its
 * run, put on its cluster's timestep with per-host statistics.
 */
export class MetricService {
  /** Samples not yet written, per series and chunk: (time, value) pairs. */
  private pending = new Map<string, { key: metricsRepo.SeriesKey; chunkStart: number; pairs: number[] }>();
  /** The write of what `pending` holds, once it starts; writes run one after another. */
  private nextWrite: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clusters: () => readonly ClusterInfo[],
  ) {}

  /**
   * Adds samples to their series and resolves once they are written: samples of
   * requests that arrive together are written together, each chunk touched
   * once per write (group commit), so nothing is acknowledged that a crash
   * could lose.
   */
  async ingest(samples: readonly MetricSample[]): Promise<number> {
    for (const sample of samples) {
      const jobId = sample.jobId ?? '';
      const chunkStart = sample.ts - (((sample.ts % metricsRepo.CHUNK_SECONDS) + metricsRepo.CHUNK_SECONDS) % metricsRepo.CHUNK_SECONDS);
      const id = `${sample.cluster}\u0000${sample.host}\u0000${sample.metric}\u0000${sample.scope}\u0000${sample.scopeId}\u0000${jobId}\u0000${chunkStart}`;
      let entry = this.pending.get(id);
      if (!entry) {
        entry = { key: { cluster: sample.cluster, host: sample.host, metric: sample.metric, scope: sample.scope, scopeId: sample.scopeId, jobId }, chunkStart, pairs: [] };
        this.pending.set(id, entry);
      }
      entry.pairs.push(sample.ts, sample.value);
    }
    await this.flush();
    return samples.length;
  }

  /** Resolves once every sample added so far is written. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.writing;
    if (!this.nextWrite) {
      this.nextWrite = this.writing.then(async () => {
        const batch = this.pending;
        this.pending = new Map();
        this.nextWrite = undefined;
        await metricsRepo.appendToChunks(
          this.store.db,
          [...batch.values()].map((entry) => ({ key: entry.key, chunkStart: entry.chunkStart, pairs: Float64Array.from(entry.pairs) })),
        );
      });
      this.writing = this.nextWrite.catch(() => undefined);
    }
    return this.nextWrite;
  }

  /** Removes samples older than `before` (seconds). */
  removeBefore(before: number): Promise<number> {
    return metricsRepo.removeBefore(this.store.db, before);
  }

  /** A job's metrics (all, or those named) at the scopes asked for (all when none), one series per host and scope id. */
  async jobMetrics(record: JobRecord, options: { metrics?: readonly string[]; scopes?: readonly string[]; now?: number } = {}): Promise<JobMetricSeries[]> {
    await this.flush();
    const end = record.state === 'running' ? Math.floor((options.now ?? Date.now()) / 1000) : record.startTime + record.duration;
    const timesteps = new Map<string, number>();
    const range = { metrics: options.metrics, scopes: options.scopes, from: record.startTime, to: end };
    // Gantry's own jobs have samples of their own tasks; a batch system's, of the hosts it ran on.
    const own = (await jobsRepo.get(this.store.db, record.jobRef))?.kind !== 'external';
    const chunks = own
      ? await metricsRepo.chunksOfJob(this.store.db, record.jobRef, range)
      : await metricsRepo.chunksOf(this.store.db, { ...range, cluster: record.cluster, hosts: record.resources.map((resource) => resource.hostname) });
    const configs = new Map(((this.clusters().find((cluster) => cluster.name === record.cluster)?.metricConfig ?? []) as MetricConfig[]).map((config) => [config.name, config]));
    // metric → scope → host\0id → grid
    const grids = new Map<string, Map<string, Map<string, Grid>>>();
    for (const chunk of chunks) {
      let scopes = grids.get(chunk.metric);
      if (!scopes) {
        const config = configs.get(chunk.metric);
        const base = config?.timestep && config.timestep > 0 ? config.timestep : DEFAULT_TIMESTEP;
        grids.set(chunk.metric, (scopes = new Map()));
        timesteps.set(chunk.metric, base * Math.max(1, Math.ceil((end - record.startTime) / base / MAX_POINTS)));
      }
      let hosts = scopes.get(chunk.scope);
      if (!hosts) scopes.set(chunk.scope, (hosts = new Map()));
      const key = `${chunk.host}\u0000${chunk.scopeId}`;
      let grid = hosts.get(key);
      if (!grid) hosts.set(key, (grid = newGrid(record.startTime, timesteps.get(chunk.metric)!, end)));
      addToGrid(grid, chunk.pairs, record.startTime, end);
    }
    const out: JobMetricSeries[] = [];
    const names = options.metrics && options.metrics.length > 0 ? options.metrics.filter((name) => grids.has(name)) : [...grids.keys()].sort();
    for (const name of names) {
      const config = configs.get(name);
      for (const [scope, hosts] of grids.get(name)!) {
        const series: HostSeries[] = [];
        for (const [key, grid] of hosts) {
          if (grid.count === 0) continue;
          const [hostname, id] = key.split('\u0000') as [string, string];
          series.push({ hostname, ...(scope === 'node' ? {} : { id }), ...seriesOfGrid(grid) });
        }
        if (series.length === 0) continue;
        series.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : (a.id ?? '') < (b.id ?? '') ? -1 : 1));
        out.push({ name, scope, unit: config?.unit ?? { base: '' }, timestep: timesteps.get(name)!, series });
      }
    }
    return out;
  }
}

interface Grid {
  start: number;
  timestep: number;
  sums: Float64Array;
  counts: Uint32Array;
  min: number;
  max: number;
  total: number;
  count: number;
}

function newGrid(start: number, timestep: number, end: number): Grid {
  const points = Math.max(1, Math.floor((end - start) / timestep) + 1);
  return { start, timestep, sums: new Float64Array(points), counts: new Uint32Array(points), min: Infinity, max: -Infinity, total: 0, count: 0 };
}

/** A chunk's pairs within [start, end] into the grid's steps. */
function addToGrid(grid: Grid, pairs: Float64Array, start: number, end: number): void {
  const last = grid.sums.length - 1;
  for (let i = 0; i < pairs.length; i += 2) {
    const ts = pairs[i]!;
    if (ts < start || ts > end) continue;
    const value = pairs[i + 1]!;
    const index = Math.min(last, Math.floor((ts - grid.start) / grid.timestep));
    grid.sums[index]! += value;
    grid.counts[index]!++;
    if (value < grid.min) grid.min = value;
    if (value > grid.max) grid.max = value;
    grid.total += value;
    grid.count++;
  }
}

/** The mean of each step's samples (null where it has none), and min/avg/max. */
function seriesOfGrid(grid: Grid): Omit<HostSeries, 'hostname' | 'id'> {
  const data: Array<number | null> = new Array(grid.sums.length);
  for (let index = 0; index < grid.sums.length; index++) data[index] = grid.counts[index]! > 0 ? grid.sums[index]! / grid.counts[index]! : null;
  return { statistics: { min: grid.min, avg: grid.total / grid.count, max: grid.max }, data };
}
