import type { JobRecord } from '../../core/job-record.js';
import type { HostSeries, JobMetricSeries, MetricSample } from '../../core/metrics.js';
import type { Store } from '../../store/open.js';
import * as jobsRepo from '../../store/jobs-repo.js';
import * as metricsRepo from '../../store/metrics-repo.js';
import type { ClusterInfo } from './clusters.js';
import { SampleLog, type SampleBatch } from './sample-log.js';

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
/** Samples kept in memory before they are written to chunks. */
const FLUSH_EVERY_MS = 2_000;
const FLUSH_AT_SAMPLES = 2_000_000;

interface BufferedSeries {
  key: metricsRepo.SeriesKey;
  /** (time, value) pairs. */
  pairs: number[];
}

export class MetricService {
  /** Samples taken since the last write began, per series. */
  private series = new Map<string, BufferedSeries>();
  /** What the write under way is writing (still read by queries until it is done). */
  private writingSeries: Map<string, BufferedSeries> | undefined;
  private buffered = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** Log files whose samples are in the buffers, to remove once written. */
  private replayedFiles: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly log: SampleLog;

  constructor(
    private readonly store: Store,
    private readonly clusters: () => readonly ClusterInfo[],
    logDir: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.log = new SampleLog(logDir);
  }

  /** Reads back what a crash left in the log, and writes buffered samples every few seconds from now on. */
  async start(): Promise<void> {
    const { batches, files } = await this.log.open();
    for (const batch of batches) {
      for (let i = 0; i < batch.data.length; i += 3) this.add(batch.keys[batch.data[i]!]!, batch.data[i + 1]!, batch.data[i + 2]!);
    }
    this.replayedFiles = files;
    if (batches.length > 0) await this.flush();
    else this.log.remove(files);
    this.timer = setInterval(() => void this.flush().catch((error: unknown) => this.onError(error)), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch((error: unknown) => this.onError(error));
    await this.log.close();
  }

  private add(key: metricsRepo.SeriesKey, ts: number, value: number): void {
    const id = seriesId(key);
    let entry = this.series.get(id);
    if (!entry) this.series.set(id, (entry = { key, pairs: [] }));
    entry.pairs.push(ts, value);
    this.buffered++;
  }

  /**
   * Takes samples: kept in memory (queries see them at once) and appended to
   * the log before the call resolves, so nothing acknowledged is lost; written
   * to the database in chunks every few seconds.
   */
  async ingest(samples: readonly MetricSample[]): Promise<number> {
    const index = new Map<string, number>();
    const batch: SampleBatch = { keys: [], data: [] };
    for (const sample of samples) {
      const key: metricsRepo.SeriesKey = { cluster: sample.cluster, host: sample.host, metric: sample.metric, scope: sample.scope, scopeId: sample.scopeId, jobId: sample.jobId ?? '' };
      const id = seriesId(key);
      let at = index.get(id);
      if (at === undefined) {
        at = batch.keys.length;
        index.set(id, at);
        batch.keys.push(key);
      }
      batch.data.push(at, sample.ts, sample.value);
    }
    return this.ingestBatch(batch);
  }

  /** Takes samples in bulk (as the line protocol reads them): the same as `ingest`, each series looked up once. */
  async ingestBatch(batch: SampleBatch): Promise<number> {
    const count = batch.data.length / 3;
    if (count === 0) return 0;
    const entries = batch.keys.map((key) => {
      const id = seriesId(key);
      let entry = this.series.get(id);
      if (!entry) this.series.set(id, (entry = { key, pairs: [] }));
      return entry;
    });
    const data = batch.data;
    for (let i = 0; i < data.length; i += 3) entries[data[i]!]!.pairs.push(data[i + 1]!, data[i + 2]!);
    this.buffered += count;
    await this.log.append(batch);
    if (this.buffered >= FLUSH_AT_SAMPLES) void this.flush().catch((error: unknown) => this.onError(error));
    return count;
  }

  /** Writes every buffered sample to the database (after the write under way, if any). */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    if (this.series.size === 0) return;
    const batch = this.series;
    this.series = new Map();
    this.buffered = 0;
    this.writingSeries = batch;
    const files = [...this.replayedFiles, await this.log.rotate()];
    this.replayedFiles = [];
    try {
      const chunks: Array<{ key: metricsRepo.SeriesKey; chunkStart: number; pairs: Float64Array }> = [];
      for (const { key, pairs } of batch.values()) {
        const byChunk = new Map<number, number[]>();
        for (let i = 0; i < pairs.length; i += 2) {
          const ts = pairs[i]!;
          const start = ts - (((ts % metricsRepo.CHUNK_SECONDS) + metricsRepo.CHUNK_SECONDS) % metricsRepo.CHUNK_SECONDS);
          let list = byChunk.get(start);
          if (!list) byChunk.set(start, (list = []));
          list.push(ts, pairs[i + 1]!);
        }
        for (const [chunkStart, list] of byChunk) chunks.push({ key, chunkStart, pairs: Float64Array.from(list) });
      }
      await metricsRepo.appendToChunks(this.store.db, this.store.dialect, chunks);
      this.log.remove(files);
    } catch (error) {
      // Not written: back into the buffers, their log files kept for the next try (or a restart).
      for (const [id, entry] of batch) {
        const current = this.series.get(id);
        if (current) current.pairs = entry.pairs.concat(current.pairs);
        else this.series.set(id, entry);
        this.buffered += entry.pairs.length / 2;
      }
      this.replayedFiles.push(...files);
      throw error;
    } finally {
      this.writingSeries = undefined;
    }
  }

  /** Buffered series matching a query, as chunks. */
  private bufferedChunks(match: (key: metricsRepo.SeriesKey) => boolean): metricsRepo.StoredChunk[] {
    const out: metricsRepo.StoredChunk[] = [];
    for (const source of [this.writingSeries, this.series]) {
      if (!source) continue;
      for (const { key, pairs } of source.values()) {
        if (match(key)) out.push({ host: key.host, metric: key.metric, scope: key.scope, scopeId: key.scopeId, pairs: Float64Array.from(pairs) });
      }
    }
    return out;
  }

  /** Removes samples older than `before` (seconds). */
  removeBefore(before: number): Promise<number> {
    return metricsRepo.removeBefore(this.store.db, before);
  }

  /** A job's metrics (all, or those named) at the scopes asked for (all when none), one series per host and scope id. */
  async jobMetrics(record: JobRecord, options: { metrics?: readonly string[]; scopes?: readonly string[]; now?: number } = {}): Promise<JobMetricSeries[]> {
    const end = record.state === 'running' ? Math.floor((options.now ?? Date.now()) / 1000) : record.startTime + record.duration;
    const timesteps = new Map<string, number>();
    const range = { metrics: options.metrics, scopes: options.scopes, from: record.startTime, to: end };
    // Gantry's own jobs have samples of their own tasks; a batch system's, of the hosts it ran on.
    const own = (await jobsRepo.get(this.store.db, record.jobRef))?.kind !== 'external';
    const hosts = new Set(record.resources.map((resource) => resource.hostname));
    const wanted = (key: metricsRepo.SeriesKey): boolean =>
      (own ? key.jobId === record.jobRef : key.jobId === '' && key.cluster === record.cluster && hosts.has(key.host)) &&
      (!options.metrics || options.metrics.length === 0 || options.metrics.includes(key.metric)) &&
      (!options.scopes || options.scopes.length === 0 || options.scopes.includes(key.scope));
    const buffered = this.bufferedChunks(wanted);
    const stored = own
      ? await metricsRepo.chunksOfJob(this.store.db, record.jobRef, range)
      : await metricsRepo.chunksOf(this.store.db, { ...range, cluster: record.cluster, hosts: [...hosts] });
    const chunks = [...stored, ...buffered];
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

function seriesId(key: metricsRepo.SeriesKey): string {
  return `${key.cluster}\u0000${key.host}\u0000${key.metric}\u0000${key.scope}\u0000${key.scopeId}\u0000${key.jobId}`;
}
