import { GantryError } from '../core/errors.js';
import { newShortId } from '../core/ids.js';
import { maskSecrets } from '../core/secrets.js';
import type { Task, WorkerNode } from '../core/model.js';
import type { Assignment, Heartbeat, NodeRegistration, TaskReport, WorkerLink, WorkerMessage } from '../core/worker-protocol.js';
import type { Scheduler, TaskSource } from '../scheduler/scheduler.js';
import type { Db } from '../store/dialect.js';
import * as jobsRepo from '../store/jobs-repo.js';
import * as nodesRepo from '../store/nodes-repo.js';
import type { Store } from '../store/open.js';
import * as queuesRepo from '../store/queues-repo.js';
import * as taskLogsRepo from '../store/task-logs-repo.js';
import * as tasksRepo from '../store/tasks-repo.js';
import type { Effects } from './effects.js';
import { Inbox } from './inbox.js';
import type { PipelineEngine } from './pipeline/engine.js';
import type { Writer } from './writer.js';

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
    private readonly engine: PipelineEngine,
  ) {}

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
    await this.writer.run(async (db, fx) => {
      await nodesRepo.insert(db, node);
      await queuesRepo.ensure(db, registration.queues, now);
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

  async report(nodeId: string, reports: TaskReport[]): Promise<void> {
    if (reports.length === 0) return;
    // Reports about different jobs are applied side by side; those of one job in order
    // (the per-job lock is taken synchronously here, in arrival order).
    const byJob = new Map<string, TaskReport[]>();
    for (const report of reports) {
      const list = byJob.get(report.jobId);
      if (list) list.push(report);
      else byJob.set(report.jobId, [report]);
    }
    await Promise.all(
      [...byJob].map(async ([jobId, jobReports]) => {
        await this.writer.run((db, fx) => this.applyReports(db, fx, nodeId, jobReports), jobId);
        // Free each job's slots as soon as its reports are in, so placement overlaps the rest.
        const finished = jobReports.filter((report) => report.type === 'finished');
        for (const report of finished) this.secretsByTask.delete(report.taskId);
        if (finished.length > 0) this.scheduler?.release(nodeId, finished);
      }),
    );
  }

  private async applyReports(db: Db, fx: Effects, nodeId: string, reports: TaskReport[]): Promise<void> {
    const logs: taskLogsRepo.NewLogPart[] = [];
    const tasks = new Map((await tasksRepo.getMany(db, [...new Set(reports.map((r) => r.taskId))])).map((t) => [t.id, t]));
    const touched = new Set<string>();
    for (const report of reports) {
      if (report.type === 'log') {
        const task = tasks.get(report.taskId);
        if (!task || task.jobId !== report.jobId) continue;
        logs.push({ taskId: task.id, jobId: task.jobId, contents: await this.redact(db, task, report.contents), createdAt: report.at });
        continue;
      }
      // Apply the log lines reported before a state change first, in order.
      await this.flushLogs(db, fx, logs);
      // A task already changed earlier in this batch is read again; the rest come from the batch read.
      const task = touched.has(report.taskId) ? await tasksRepo.get(db, report.taskId) : tasks.get(report.taskId);
      touched.add(report.taskId);
      if (!task || task.jobId !== report.jobId || task.attempt !== report.attempt || task.nodeId !== nodeId) continue;
      if (report.type === 'started') await this.engine.taskStarted(db, fx, task, report.backendId, report.at);
      else if (report.type === 'progress') await this.updateProgress(db, fx, task, report.percent);
      else await this.applyFinished(db, fx, task, report);
    }
    await this.flushLogs(db, fx, logs);
  }

  async deregister(nodeId: string): Promise<void> {
    await this.nodeGone(nodeId, 'OFFLINE', `node ${nodeId} left`);
  }

  // ---- TaskSource -------------------------------------------------------

  async claim(nodeId: string, queues: readonly string[], limit: number): Promise<Assignment[]> {
    const claimed = await this.writer.run(async (db, fx) => {
      const tasks = await tasksRepo.claimForNode(db, this.store.dialect, { nodeId, queues, limit, now: Date.now() });
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
    await this.writer.run(async (db, fx) => {
      await nodesRepo.setStatus(db, nodeId, status);
      const node = await nodesRepo.get(db, nodeId);
      if (node) fx.emit({ type: 'node.state', node });
      const now = Date.now();
      for (const task of await tasksRepo.listByNode(db, nodeId, ['scheduled', 'running', 'stopping'])) {
        await this.recoverTask(db, fx, task, reason, now);
      }
    });
  }

  async recoverTask(db: Db, fx: Effects, task: Task, reason: string, now: number): Promise<void> {
    if (task.state === 'scheduled') await this.engine.requeueUnstarted(db, fx, task, now);
    else if (task.state === 'stopping') await this.engine.taskFinished(db, fx, task, { end: 'cancelled', exitCode: null, error: reason }, now);
    else await this.engine.taskAttemptFailed(db, fx, task, reason, null, now);
  }

  private inboxOf(nodeId: string): Inbox {
    const inbox = this.inboxes.get(nodeId);
    if (!inbox) throw new GantryError('not_found', `node ${nodeId} is not registered; register again`);
    return inbox;
  }

  private async flushLogs(db: Db, fx: Effects, logs: taskLogsRepo.NewLogPart[]): Promise<void> {
    if (logs.length === 0) return;
    const parts = await taskLogsRepo.appendMany(db, logs.splice(0));
    for (const part of parts) fx.emit({ type: 'task.log', part });
  }

  private async updateProgress(db: Db, fx: Effects, task: Task, percent: number): Promise<void> {
    const progress = Math.max(0, Math.min(100, percent));
    if (await tasksRepo.update(db, task.id, task.state, { progress })) fx.emit({ type: 'task.progress', task: { ...task, progress } });
  }

  private async applyFinished(db: Db, fx: Effects, task: Task, report: Extract<TaskReport, { type: 'finished' }>): Promise<void> {
    const outcome = report.outcome;
    // The node stopped a task nobody asked it to stop (it is shutting down): run it again.
    if (outcome.end === 'cancelled' && task.state !== 'stopping') {
      await this.engine.requeueInterrupted(db, fx, task, Date.now());
      return;
    }
    const output = outcome.output === undefined ? undefined : await this.redact(db, task, outcome.output);
    await this.engine.taskFinished(db, fx, task, { ...outcome, output }, Date.now());
  }

  private async redact(db: Db, task: Task, text: string): Promise<string> {
    let secrets = this.secretsByTask.get(task.id);
    if (!secrets) {
      const job = await jobsRepo.get(db, task.jobId);
      secrets = Object.values(job?.secrets ?? {}).filter((value) => value.length > 0);
      this.secretsByTask.set(task.id, secrets);
    }
    return maskSecrets(text, secrets);
  }
}
