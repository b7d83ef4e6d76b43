import type { JobRecord, RecordTag } from '../../core/job-record.js';
import type { JobMetricSeries } from '../../core/metrics.js';

/** ClusterCockpit's schema.Job. `metaData` only when asked for (`with-metadata`), as its job list does. */
export function cockpitJob(record: JobRecord, tags: readonly RecordTag[], options: { metaData: boolean } = { metaData: true }): Record<string, unknown> {
  const job: Record<string, unknown> = {
    id: record.id,
    jobId: record.batchJobId,
    user: record.user,
    project: record.project,
    cluster: record.cluster,
    subCluster: record.subCluster,
    numNodes: record.numNodes,
    shared: record.shared,
    monitoringStatus: record.monitoringStatus,
    jobState: record.state,
    startTime: record.startTime,
    resources: record.resources,
    tags: tags.map((tag) => ({ id: tag.id, type: tag.type, name: tag.name, scope: tag.scope })),
  };
  // Zero counts are left out, as cc-backend's JSON leaves them out (its fields are `omitempty`).
  if (record.numHwthreads > 0) job.numHwthreads = record.numHwthreads;
  if (record.numAcc > 0) job.numAcc = record.numAcc;
  if (record.walltime > 0) job.walltime = record.walltime;
  if (record.duration > 0) job.duration = record.duration;
  if (record.partition !== null) job.partition = record.partition;
  if (record.arrayJobId !== null && record.arrayJobId !== 0) job.arrayJobId = record.arrayJobId;
  if (record.smt !== null) job.smt = record.smt;
  if (record.submitTime !== null) job.submitTime = record.submitTime;
  if (record.requestedMemory !== null) job.requestedMemory = record.requestedMemory;
  if (record.energy !== null) job.energy = record.energy;
  if (record.footprint !== null) job.footprint = record.footprint;
  if (record.energyFootprint !== null) job.energyFootprint = record.energyFootprint;
  if (options.metaData) job.metaData = record.metaData;
  return job;
}

/** ClusterCockpit's api.JobMetricWithName: a metric at one scope, its series per host. */
export function jobMetricWithName(series: JobMetricSeries): Record<string, unknown> {
  return { name: series.name, scope: series.scope, metric: { unit: series.unit, timestep: series.timestep, series: series.series } };
}
