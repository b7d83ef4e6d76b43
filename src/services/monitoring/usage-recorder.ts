import type { MetricSample } from '../../core/metrics.js';
import * as nodesRepo from '../../store/nodes-repo.js';
import type { Store } from '../../store/open.js';
import type { UsageReport } from '../worker-gateway.js';
import type { MetricService } from './metric-service.js';

/**
 * Turns what workers report their tasks use into metric samples of this
 * installation's cluster: `cpu_load` (cores busy) and `mem_used` (GB, the unit
 * its metric configuration gives), per task and per host.
 */
export function usageRecorder(store: Store, metrics: MetricService, cluster: string): (nodeId: string, reports: readonly UsageReport[]) => Promise<void> {
  const hosts = new Map<string, string>();
  return async (nodeId, reports) => {
    let host = hosts.get(nodeId);
    if (host === undefined) {
      host = (await nodesRepo.get(store.db, nodeId))?.hostname ?? nodeId;
      hosts.set(nodeId, host);
    }
    const samples: MetricSample[] = [];
    for (const report of reports) {
      const ts = Math.floor(report.at / 1000);
      const base = { cluster, host, scope: 'node', scopeId: '', jobId: report.jobId, ts };
      samples.push({ ...base, metric: 'cpu_load', value: report.cpuLoad });
      samples.push({ ...base, metric: 'mem_used', value: report.memoryBytes / 1e9 });
    }
    await metrics.ingest(samples);
  };
}
