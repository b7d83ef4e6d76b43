import { GantryError } from '../core/errors.js';
import { newShortId } from '../core/ids.js';
import { maskSecrets } from '../core/secrets.js';
import type { Task, WorkerNode } from '../core/model.js';
import type { TaskState } from '../core/states.js';
import type { Assignment, Heartbeat, NodeRegistration, TaskReport, WorkerLink, WorkerMessage } from '../core/worker-protocol.js';
import type { Scheduler, TaskSource } from '../scheduler/scheduler.js';
import * as nodesRepo from '../store/nodes-repo.js';
import type { Store } from '../store/open.js';
import * as queuesRepo from '../store/queues-repo.js';
import type * as taskLogsRepo from '../store/task-logs-repo.js';
import * as tasksRepo from '../store/tasks-repo.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { Effects } from './effects.js';
import { Inbox } from './inbox.js';
import type { TaskEvents } from './task-events.js';
import type { Writer } from './writer.js';

const IN_FLIGHT: readonly TaskState[] = ['scheduled', 'running', 'stopping'];

export type UsageReport = Extract<TaskReport, { type: 'usage' }>;

function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The server side of the worker protocol: registers nodes, hands them their
 * assignments, and applies what they report through the engine. The in-process
 * worker calls it directly; remote workers reach the same methods over HTTP.
 */
export class WorkerGateway implements WorkerLink, TaskSource {
  private readonly inboxes = new Map<string, Inbox>();
  /** Secret values per running task, masked in its log lines. */
  private readonly secretsByTask = new Map<string, string[]>();
  private scheduler: Scheduler | undefined;

  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly engine: TaskEvents,
    /** Told about a job's reports that could not be applied (they fail its tasks instead). */
    private readonly onReportRejected: (error: unknown, jobId: string) => void = () => undefined,
  ) {}

  private usageSink: (nodeId: string, reports: readonly UsageReport[]) => Promise<void> = async () => undefined;

  /** Where the tasks' usage samples go (the metric store). */
  onUsage(sink: (nodeId: string, reports: readonly UsageReport[]) => Promise<void>): void {
    this.usageSink = sink;
  }

  attachScheduler(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  // ---- WorkerLink -------------------------------------------------------

  async register(registration: NodeRegistration): Promise<{ nodeId: string }> {
    const now = Date.now();
    const id = newShortId();
    const node: WorkerNode = {
      id,
      name: registration.name,
      hostname: registration.hostname,
      version: registration.version,
      privateQueue: `x-${id}`,
      queues: registration.queues,
      status: 'UP',
      cpuPercent: 0,
      maxTasks: registration.maxTasks,
      capacityCpus: registration.capacityCpus,
      capacityMemoryBytes: registration.capacityMemoryBytes,
      labels: registration.labels,
      taskCount: 0,
      startedAt: now,
      lastHeartbeatAt: now,
    };
    await this.writer.run(async (uow, fx) => {
      await nodesRepo.insert(uow.db, node);
      await queuesRepo.ensure(uow.db, registration.queues, now);
      fx.emit({ type: 'node.state', node });
    });
    this.inboxes.set(id, new Inbox());
    this.scheduler?.addNode({ nodeId: id, queues: [...registration.queues, node.privateQueue], maxTasks: registration.maxTasks });
    return { nodeId: id };
  }

  async heartbeat(nodeId: string, beat: Heartbeat): Promise<void> {
    const alive = await nodesRepo.heartbeat(this.store.db, nodeId, {
      cpuPercent: beat.cpuPercent,
      taskCount: beat.running.length,
      at: Date.now(),
    });
    if (!alive) throw new GantryError('not_found', `node ${nodeId} is not registered or was declared down; register again`);
  }

  async receive(nodeId: string, options: { max: number; waitMs: number; signal?: AbortSignal }): Promise<WorkerMessage[]> {
    return this.inboxOf(nodeId).take(options.waitMs, options.signal);
  }

  async report(nodeId: string, all: TaskReport[]): Promise<void> {
    // What tasks use goes to the metrics, not through the engine.
    const usage = all.filter((report): report is UsageReport => report.type === 'usage');
    const reports = usage.length === 0 ? all : all.filter((report) => report.type !== 'usage');
    if (usage.length > 0) await this.usageSink(nodeId, usage);
    if (reports.length === 0) return;
    // A finished attempt no longer takes a slot on its node, whether or not its report is
    // written yet: placing the next tasks overlaps writing these reports.
    const finished = reports.filter((report) => report.type === 'finished');
    if (finished.length > 0) this.scheduler?.release(nodeId, finished);
    const jobIds = [...new Set(reports.map((report) => report.jobId))];
    try {
      // The whole batch in one transaction: its changes are written set-based, a few statements for all its jobs.
      await this.writer.run((uow, fx) => this.applyReports(uow, fx, nodeId, reports), jobIds);
    } catch {
      await this.applyEachJobApart(nodeId, jobIds, reports);
    }
    for (const report of finished) this.secretsByTask.delete(report.taskId);
  }

  /**
   * A batch failed: each job's reports are applied apart, so one job cannot hold
   * back the others. Reports that still cannot be written fail their tasks with
   * the reason (retried where `retry` allows), so no job waits forever on a
   * report that will never go in. Only when even that fails (the database is
   * gone) is the error passed on, and the node sends the batch again.
   */
  private async applyEachJobApart(nodeId: string, jobIds: readonly string[], reports: readonly TaskReport[]): Promise<void> {
    let unrecorded: unknown;
    for (const jobId of jobIds) {
      const own = reports.filter((report) => report.jobId === jobId);
      try {
        await this.writer.run((uow, fx) => this.applyReports(uow, fx, nodeId, own), jobId);
      } catch (error) {
        this.onReportRejected(error, jobId);
        const reason = `Gantry could not record what the node reported: ${messageOf(error)}`;
        await this.writer.run((uow, fx) => this.failReportedTasks(uow, fx, nodeId, own, reason), jobId).catch((cause: unknown) => {
          unrecorded ??= cause;
        });
      }
    }
    if (unrecorded !== undefined) throw unrecorded;
  }

  private async failReportedTasks(uow: UnitOfWork, fx: Effects, nodeId: string, reports: readonly TaskReport[], reason: string): Promise<void> {
    const now = Date.now();
    for (const taskId of new Set(reports.map((report) => report.taskId))) {
      const task = await uow.task(taskId);
      if (!task || task.nodeId !== nodeId || !IN_FLIGHT.includes(task.state)) continue;
      await this.engine.taskFinished(uow, fx, task, { end: 'error', exitCode: null, error: reason }, now);
    }
  }

  private async applyReports(uow: UnitOfWork, fx: Effects, nodeId: string, reports: TaskReport[]): Promise<void> {
    await uow.loadTasks(reports.map((report) => report.taskId));
    await uow.loadJobs(reports.map((report) => report.jobId));
    const logs: taskLogsRepo.NewLogPart[] = [];
    for (const report of reports) {
      const task = await uow.task(report.taskId);
      if (!task || task.jobId !== report.jobId) continue;
      if (report.type === 'log') {
        logs.push({ taskId: task.id, jobId: task.jobId, contents: await this.clean(uow, task, report.contents), createdAt: report.at });
        continue;
      }
      // The log lines reported before a state change are published before it.
      this.appendLogs(uow, fx, logs);
      if (task.attempt !== report.attempt || task.nodeId !== nodeId) continue;
      if (report.type === 'started') await this.engine.taskStarted(uow, fx, task, { backendId: report.backendId, endpoints: report.endpoints }, report.at);
      else if (report.type === 'progress') await this.engine.taskProgress(uow, fx, task, report.percent);
      else if (report.type === 'finished') await this.applyFinished(uow, fx, task, report);
    }
    this.appendLogs(uow, fx, logs);
  }

  async deregister(nodeId: string): Promise<void> {
    await this.nodeGone(nodeId, 'OFFLINE', `node ${nodeId} left`);
  }

  // ---- TaskSource -------------------------------------------------------

  async claim(nodeId: string, queues: readonly string[], limit: number): Promise<Assignment[]> {
    // A claim is atomic on its own (one statement on PostgreSQL, its own transaction on SQLite).
    const claimed = await this.writer.runStatement(async (uow, fx) => {
      const tasks = await uow.claimForNode({ nodeId, queues, limit, now: Date.now() });
      for (const task of tasks) fx.emit({ type: 'task.state', task, from: 'pending', to: 'scheduled' });
      return tasks;
    });
    return claimed.map((task) => ({ taskId: task.id, jobId: task.jobId, attempt: task.attempt, spec: task.runSpec! }));
  }

  async nextRunAfter(queues: readonly string[]): Promise<number | undefined> {
    return tasksRepo.nextRunAfter(this.store.db, queues, Date.now());
  }

  // ---- used by the scheduler and the engine -----------------------------

  deliver(nodeId: string, assignments: Assignment[]): void {
    const inbox = this.inboxes.get(nodeId);
    if (!inbox) return;
    for (const assignment of assignments) inbox.push({ type: 'run', assignment });
  }

  cancelOnNode(nodeId: string, taskId: string, attempt: number): void {
    this.inboxes.get(nodeId)?.push({ type: 'cancel', taskId, attempt });
  }

  /**
   * A node is gone (left, declared down, or from before a restart): tasks it had
   * not started go back to their queue; tasks it was running are retried where
   * their `retry` allows, else failed with `reason`.
   */
  async nodeGone(nodeId: string, status: 'DOWN' | 'OFFLINE', reason: string): Promise<void> {
    this.scheduler?.removeNode(nodeId);
    this.inboxes.get(nodeId)?.close();
    this.inboxes.delete(nodeId);
    await this.writer.run(async (uow, fx) => {
      await nodesRepo.setStatus(uow.db, nodeId, status);
      const node = await nodesRepo.get(uow.db, nodeId);
      if (node) fx.emit({ type: 'node.state', node });
      const now = Date.now();
      for (const listed of await uow.tasksOfNode(nodeId, IN_FLIGHT)) {
        // Recovering one task can move others of its job (a failed job stops its tasks): take each as it is now.
        const task = await uow.task(listed.id);
        if (task && IN_FLIGHT.includes(task.state)) await this.recoverTask(uow, fx, task, reason, now);
      }
    });
  }

  async recoverTask(uow: UnitOfWork, fx: Effects, task: Task, reason: string, now: number): Promise<void> {
    if (task.state === 'scheduled') await this.engine.requeueUnstarted(uow, fx, task, now);
    else if (task.state === 'stopping') await this.engine.taskFinished(uow, fx, task, { end: 'cancelled', exitCode: null, error: reason }, now);
    else await this.engine.taskAttemptFailed(uow, fx, task, reason, null, now);
  }

  private inboxOf(nodeId: string): Inbox {
    const inbox = this.inboxes.get(nodeId);
    if (!inbox) throw new GantryError('not_found', `node ${nodeId} is not registered; register again`);
    return inbox;
  }

  private appendLogs(uow: UnitOfWork, fx: Effects, logs: taskLogsRepo.NewLogPart[]): void {
    if (logs.length === 0) return;
    for (const part of uow.appendLogs(logs.splice(0))) fx.emit({ type: 'task.log', part });
  }

  private async applyFinished(uow: UnitOfWork, fx: Effects, task: Task, report: Extract<TaskReport, { type: 'finished' }>): Promise<void> {
    const outcome = report.outcome;
    // The node stopped a task nobody asked it to stop (it is shutting down): run it again.
    if (outcome.end === 'cancelled' && task.state !== 'stopping') {
      await this.engine.requeueInterrupted(uow, fx, task, Date.now());
      return;
    }
    const output = outcome.output === undefined ? undefined : await this.clean(uow, task, outcome.output);
    const error = outcome.error === undefined ? undefined : withoutNul(outcome.error);
    // The node's time of the end, as for the start: the task ended then, not when the report was written.
    await this.engine.taskFinished(uow, fx, task, { ...outcome, output, error }, report.at);
  }

  /**
   * Text from a node as it may be stored and shown: secret values masked, NUL
   * characters dropped (PostgreSQL text cannot hold them; Tork drops them too).
   */
  private async clean(uow: UnitOfWork, task: Task, text: string): Promise<string> {
    let secrets = this.secretsByTask.get(task.id);
    if (!secrets) {
      const job = await uow.job(task.jobId);
      secrets = Object.values(job?.secrets ?? {}).filter((value) => value.length > 0);
      this.secretsByTask.set(task.id, secrets);
    }
    return maskSecrets(withoutNul(text), secrets);
  }
}
