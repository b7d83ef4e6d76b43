import * as nodesRepo from '../store/nodes-repo.js';
import type { Store } from '../store/open.js';
import * as tasksRepo from '../store/tasks-repo.js';
import type { WorkerGateway } from './worker-gateway.js';
import type { Writer } from './writer.js';

export const RESTART_REASON = 'the server restarted while the task was running';

/**
 * Run once at start-up, before any worker registers. Nodes from before the
 * restart are gone: their unstarted tasks go back to the queue, their running
 * tasks are retried where `retry` allows, else failed with RESTART_REASON.
 * Pending tasks simply stay in their queues.
 */
export async function recoverAfterRestart(store: Store, writer: Writer, gateway: WorkerGateway): Promise<{ nodes: number; tasks: number }> {
  const nodes = await nodesRepo.markAllOffline(store.db);
  let recovered = 0;
  await writer.run(async (db, fx) => {
    const now = Date.now();
    const up = new Set((await nodesRepo.listByStatus(db, ['UP'])).map((n) => n.id));
    for (const task of await tasksRepo.listByStates(db, ['scheduled', 'running', 'stopping'])) {
      if (task.nodeId && up.has(task.nodeId)) continue;
      await gateway.recoverTask(db, fx, task, RESTART_REASON, now);
      recovered++;
    }
  });
  return { nodes: nodes.length, tasks: recovered };
}
