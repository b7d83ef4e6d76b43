/** One value of one metric of one host (or one of its sockets, cores…) at one time, in seconds. */
export interface MetricSample {
  cluster: string;
  host: string;
  metric: string;
  /** `node` for the whole host; else `socket`, `core`, `hwthread`, `accelerator`… with `scopeId`. */
  scope: string;
  scopeId: string;
  /** The Gantry job it was taken for, when a worker sampled a task of its own. */
  jobId: string | null;
  ts: number;
  value: number;
}

export interface MetricStatistics {
  min: number;
  avg: number;
  max: number;
}

/** A host's series of one metric: its values at each timestep (null where none was taken). */
export interface HostSeries {
  hostname: string;
  /** For a scope below the node, which socket, core… */
  id?: string;
  statistics: MetricStatistics;
  data: Array<number | null>;
}

export interface JobMetricSeries {
  name: string;
  scope: string;
  unit: { base: string; prefix?: string };
  /** Seconds between two values of `data`. */
  timestep: number;
  series: HostSeries[];
}

/** One series: whose samples, of what. `jobId` '' for a collector's samples. */
export interface SeriesKey {
  cluster: string;
  host: string;
  metric: string;
  scope: string;
  scopeId: string;
  jobId: string;
}

/** Samples in bulk: their series once each, then (series index, time, value) triples. */
export interface SampleBatch {
  keys: SeriesKey[];
  data: number[];
}
