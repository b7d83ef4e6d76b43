import { GantryError, notFound } from '../core/errors.js';
import type { QueueInfo, WorkerNode } from '../core/model.js';
import * as nodesRepo from '../store/nodes-repo.js';
import type { Store } from '../store/open.js';
import * as queuesRepo from '../store/queues-repo.js';
import * as tasksRepo from '../store/tasks-repo.js';
import type { PipelineEngine } from './pipeline/engine.js';
import type { WorkerGateway } from './worker-gateway.js';
import type { Writer } from './writer.js';

/** How long a node stays listed after its last heartbeat (Tork's LAST_HEARTBEAT_TIMEOUT). */
const RECENT_NODE_MS = 5 * 60_000;

/** Nodes and queues as users see them, and the watch that declares silent nodes down. */
export class NodeService {
  private monitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly gateway: WorkerGateway,
    private readonly engine: PipelineEngine,
    private readonly nodeTimeoutMs: number,
  ) {}

  /** Nodes that are up. */
  listActive(): Promise<WorkerNode[]> {
    return nodesRepo.listByStatus(this.store.db, ['UP']);
  }

  /**
   * Nodes heard from in the last five minutes, whatever their status: what Tork
   * lists (a node that went down or left shows with that status until then).
   */
  listRecent(): Promise<WorkerNode[]> {
    return nodesRepo.listSeenSince(this.store.db, Date.now() - RECENT_NODE_MS);
  }

  async listQueues(): Promise<QueueInfo[]> {
    const [names, counts, nodes] = await Promise.all([
      queuesRepo.listNames(this.store.db),
      tasksRepo.countByQueue(this.store.db),
      this.listActive(),
    ]);
    const byQueue = new Map(counts.map((c) => [c.queue, c]));
    const all = new Set([...names, ...counts.map((c) => c.queue), ...nodes.map((n) => n.privateQueue)]);
    return [...all].sort().map((name) => ({
      name,
      size: byQueue.get(name)?.pending ?? 0,
      unacked: byQueue.get(name)?.unacked ?? 0,
      subscribers: nodes.filter((n) => n.queues.includes(name) || n.privateQueue === name).length,
    }));
  }

  async getQueue(name: string): Promise<QueueInfo> {
    const queue = (await this.listQueues()).find((q) => q.name === name);
    if (!queue) throw notFound(`queue ${name} not found`);
    return queue;
  }

  /**
   * Purges a task queue: the jobs whose tasks wait in it are cancelled, so none is
   * left waiting for a task that will never run. Private node queues cannot be purged.
   */
  async purgeQueue(name: string): Promise<void> {
    await this.getQueue(name);
    if (name.startsWith('x-')) throw new GantryError('invalid_input', `queue ${name} is not a task queue`);
    await this.writer.run(async (uow, fx) => {
      const now = Date.now();
      const jobIds = new Set((await uow.pendingTasksInQueue(name)).map((task) => task.jobId));
      await uow.loadJobs(jobIds);
      for (const jobId of jobIds) {
        const job = await uow.job(jobId);
        if (job && (job.state === 'pending' || job.state === 'scheduled' || job.state === 'running')) {
          await this.engine.cancelJob(uow, fx, job, now);
        }
      }
    });
  }

  /** Starts the periodic check that declares nodes without heartbeats down. */
  start(checkEveryMs: number): void {
    this.monitor = setInterval(() => void this.checkHeartbeats(), checkEveryMs);
    this.monitor.unref();
  }

  stop(): void {
    clearInterval(this.monitor);
  }

  async checkHeartbeats(): Promise<void> {
    const stale = await nodesRepo.markStaleDown(this.store.db, Date.now() - this.nodeTimeoutMs);
    for (const nodeId of stale) {
      await this.gateway.nodeGone(nodeId, 'DOWN', `node ${nodeId} stopped sending heartbeats`);
    }
  }
}
