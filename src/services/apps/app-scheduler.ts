import { essentialReservation, reservationOf, type AppDefinition, type AppSpec } from '../../core/app.js';
import { planPlacement, type AppPolicy, type PlacedInstance, type WaitingInstance } from '../../scheduler/app-placement.js';
import * as appsRepo from '../../store/apps-repo.js';
import * as jobsRepo from '../../store/jobs-repo.js';
import * as nodesRepo from '../../store/nodes-repo.js';
import type { Store } from '../../store/open.js';
import { CoalescedPasses } from '../coalesced-passes.js';
import type { EventBus } from '../event-bus.js';
import type { Writer } from '../writer.js';
import { APP_QUEUE, type AppEngine } from './app-engine.js';

export interface AppSchedulerOptions {
  policy: AppPolicy;
  /** Milliseconds between passes when nothing wakes it. */
  tickMs: number;
  onError(error: unknown): void;
}

/** What the last passes took, for the statistics route and the benchmark. */
export interface AppSchedulerStats {
  passes: number;
  /** Executions admitted so far. */
  admitted: number;
  /** Executions the last pass looked at in the queue. */
  lastQueueLength: number;
  /** Milliseconds the last pass spent deciding (reading the store excluded). */
  lastDecisionMs: number;
  /** Milliseconds the last pass took in all. */
  lastPassMs: number;
}

/**
 * Places application executions on nodes by their reservations (see
 * app-placement.ts) and carries the plan out through the engine. Runs in the
 * server, woken by submissions, ends and node changes and by a tick; passes
 * never overlap. Everything it decides on is read from the store each pass, so
 * a restarted server goes on where it stopped.
 */
export class AppScheduler {
  private readonly passes: CoalescedPasses;
  private tick: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Specs of executions read so far; definitions never change. */
  private readonly specs = new Map<string, AppSpec>();
  readonly stats: AppSchedulerStats = { passes: 0, admitted: 0, lastQueueLength: 0, lastDecisionMs: 0, lastPassMs: 0 };

  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly engine: AppEngine,
    private readonly bus: EventBus,
    private readonly options: AppSchedulerOptions,
  ) {
    this.passes = new CoalescedPasses(() => this.pass(), options.onError);
  }

  start(): void {
    if (this.tick) return;
    this.unsubscribe = this.bus.subscribe((event) => {
      if (event.type === 'node.state') this.wake();
      else if (event.type === 'job.state' && event.job.kind === 'app') this.wake();
    });
    this.tick = setInterval(() => this.wake(), this.options.tickMs);
    this.tick.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.tick);
    await this.passes.stop();
  }

  wake(): void {
    this.passes.wake();
  }

  private async specsOf(ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !this.specs.has(id));
    for (const job of await jobsRepo.getMany(this.store.db, missing)) this.specs.set(job.id, (job.definition as AppDefinition).spec);
  }

  private async pass(): Promise<void> {
    const started = performance.now();
    const db = this.store.db;
    const [nodes, heads, tasks] = await Promise.all([nodesRepo.listByStatus(db, ['UP']), appsRepo.appJobHeads(db, ['pending', 'scheduled', 'running']), appsRepo.activeAppTasks(db)]);
    const live = new Set([...heads.map((head) => head.id), ...tasks.map((task) => task.jobId)]);
    for (const id of this.specs.keys()) if (!live.has(id)) this.specs.delete(id);
    await this.specsOf([...new Set([...heads.map((head) => head.id), ...tasks.map((task) => task.jobId)])]);
    const order = new Map(heads.map((head) => [head.id, head.numId]));
    const active = heads.filter((head) => head.state !== 'pending');
    const instances = await appsRepo.instancesOfJobs(db, active.map((head) => head.id));
    const decideFrom = performance.now();

    const nodeOfJob = new Map<string, string>();
    const placed: PlacedInstance[] = [];
    for (const task of tasks) {
      if (!task.nodeId) continue;
      const spec = this.specs.get(task.jobId);
      const service = spec?.services.find((candidate) => candidate.group === task.group);
      if (!service) continue;
      nodeOfJob.set(task.jobId, task.nodeId);
      placed.push({ taskId: task.taskId, jobId: task.jobId, nodeId: task.nodeId, essential: task.essential, reservation: reservationOf(service), jobOrder: order.get(task.jobId) ?? 0, index: task.index });
    }
    const waiting: WaitingInstance[] = [];
    for (const instance of instances) {
      const nodeId = nodeOfJob.get(instance.jobId);
      const spec = this.specs.get(instance.jobId);
      const service = spec?.services.find((candidate) => candidate.group === instance.group);
      if (instance.taskId !== null || instance.essential || !nodeId || !service) continue;
      waiting.push({ jobId: instance.jobId, instanceNumId: instance.numId, nodeId, reservation: reservationOf(service), jobOrder: order.get(instance.jobId) ?? 0 });
    }
    const queued = heads
      .filter((head) => head.state === 'pending')
      .map((head) => {
        const spec = this.specs.get(head.id)!;
        return { jobId: head.id, jobOrder: head.numId, size: spec.size, essential: essentialReservation(spec) };
      });
    const plan = planPlacement({
      nodes: nodes.map((node) => ({ id: node.id, cores: node.capacityCpus, memoryBytes: node.capacityMemoryBytes })),
      placed,
      queued,
      waiting,
      policy: this.options.policy,
    });
    this.stats.lastDecisionMs = performance.now() - decideFrom;
    this.stats.lastQueueLength = queued.length;

    const now = Date.now();
    for (const jobId of plan.tooBig) {
      await this.writer.run(async (uow, fx) => {
        const job = await uow.job(jobId);
        if (job?.state === 'pending') await this.engine.fail(uow, fx, job, 'the execution needs more cores or memory than any node of the cluster has', now);
      }, jobId);
    }
    for (const { jobId, nodeId } of plan.admit) {
      if (await this.writer.run((uow, fx) => this.engine.admit(uow, fx, jobId, nodeId, Date.now()), jobId)) this.stats.admitted++;
    }
    for (const taskId of plan.preempt) {
      const task = tasks.find((candidate) => candidate.taskId === taskId)!;
      await this.writer.run((uow, fx) => this.engine.preempt(uow, fx, taskId), task.jobId);
    }
    for (const { jobId, instanceNumId, nodeId } of plan.startElastic) {
      await this.writer.run((uow, fx) => this.engine.startElastic(uow, fx, jobId, instanceNumId, nodeId, Date.now()), jobId);
    }
    this.stats.passes++;
    this.stats.lastPassMs = performance.now() - started;
  }
}

export { APP_QUEUE };
