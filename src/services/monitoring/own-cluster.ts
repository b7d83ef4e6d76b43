import { cpus, hostname, totalmem } from 'node:os';
import type { GantryConfig } from '../../config/schema.js';
import type { ClusterInfo } from './clusters.js';

/** The metrics Gantry's workers sample of every task (see docs/cockpit.md). */
const OWN_METRICS = [
  { name: 'cpu_load', unit: { base: '' }, scope: 'node', timestep: 10, aggregation: 'avg', peak: 0, normal: 0, caution: 0, alert: 0 },
  { name: 'mem_used', unit: { base: 'B', prefix: 'G' }, scope: 'node', timestep: 10, aggregation: 'sum', peak: 0, normal: 0, caution: 0, alert: 0 },
];

/**
 * This installation as a ClusterCockpit cluster: one subcluster, `main`, of its
 * nodes (every host), described by this host's processors and memory; then the
 * configured clusters.
 */
export function clustersOf(config: GantryConfig): () => readonly ClusterInfo[] {
  const cores = cpus().length;
  const own: ClusterInfo = {
    name: config.cockpit.clusterName,
    metricConfig: OWN_METRICS,
    subClusters: [
      {
        name: 'main',
        nodes: '*',
        processorType: cpus()[0]?.model ?? 'unknown',
        socketsPerNode: 1,
        coresPerSocket: cores,
        threadsPerCore: 1,
        flopRateScalar: { unit: { base: 'F/s', prefix: 'G' }, value: 0 },
        flopRateSimd: { unit: { base: 'F/s', prefix: 'G' }, value: 0 },
        memoryBandwidth: { unit: { base: 'B/s', prefix: 'G' }, value: 0 },
        topology: { node: [...Array(cores).keys()], socket: [[...Array(cores).keys()]], memoryDomain: [[...Array(cores).keys()]], core: [...Array(cores).keys()].map((core) => [core]) },
        memory: totalmem(),
        hosts: [hostname()],
      },
    ],
  };
  const clusters: readonly ClusterInfo[] = [own, ...(config.cockpit.clusters as ClusterInfo[]).filter((cluster) => cluster.name !== own.name)];
  return () => clusters;
}
