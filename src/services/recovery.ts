import type { TaskState } from '../core/states.js';
import * as nodesRepo from '../store/nodes-repo.js';
import type { Store } from '../store/open.js';
import type { WorkerGateway } from './worker-gateway.js';
import type { Writer } from './writer.js';

const IN_FLIGHT: readonly TaskState[] = ['scheduled', 'running', 'stopping'];

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
  await writer.run(async (uow, fx) => {
    const now = Date.now();
    const up = new Set((await nodesRepo.listByStatus(uow.db, ['UP'])).map((n) => n.id));
    for (const listed of await uow.tasksInStates(IN_FLIGHT)) {
      if (listed.nodeId && up.has(listed.nodeId)) continue;
      // Recovering one task can move others of its job (a failed job stops its tasks): take each as it is now.
      const task = await uow.task(listed.id);
      if (!task || !IN_FLIGHT.includes(task.state)) continue;
      await gateway.recoverTask(uow, fx, task, RESTART_REASON, now);
      recovered++;
    }
  });
  return { nodes: nodes.length, tasks: recovered };
}
