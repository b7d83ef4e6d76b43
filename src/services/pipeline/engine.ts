import { evaluateTemplate } from '../../core/expr/index.js';
import { GantryError, isGantryError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Job, Task } from '../../core/model.js';
import type { PipelineDefinition, PipelineSubjob, PipelineTask } from '../../core/pipeline.js';
import type { RunOutcome } from '../../core/run-spec.js';
import { assertJobTransition, assertTaskTransition, jobStatesLeadingTo, type JobState, type TaskState } from '../../core/states.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import type * as jobsRepo from '../../store/jobs-repo.js';
import * as queuesRepo from '../../store/queues-repo.js';
import type * as tasksRepo from '../../store/tasks-repo.js';
import type { Effects } from '../effects.js';
import type { TaskEvents, TaskStart } from '../task-events.js';
import { expressionContext, type Scope } from './context.js';
import { conditionHolds, evaluateEachList, evaluateTask, newTaskRecord, type Placement } from './task-builder.js';

/** The most subjob levels one job may open, so a job cannot recurse without end. */
const MAX_SUBJOB_DEPTH = 16;

export interface EngineOptions {
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

/**
 * Moves pipeline jobs forward: creates each task when its turn comes, fans out
 * `parallel` and `each`, opens subjobs, applies retries, and completes or fails
 * the job. Every method runs inside the caller's transaction and records what
 * must happen after commit in `Effects`.
 */
export class PipelineEngine implements TaskEvents {
  /** Queues already recorded in the store; queues are never deleted, so this only grows. */
  private readonly knownQueues = new Set<string>();

  constructor(private readonly options: EngineOptions) {}

  // ---- jobs -------------------------------------------------------------

  async insertJob(
    uow: UnitOfWork,
    fx: Effects,
    args: {
      definition: PipelineDefinition;
      owner: string;
      now: number;
      parent?: { job: Job; taskId: string | null };
      scheduledJobId?: string;
    },
  ): Promise<Job> {
    const { definition, now } = args;
    const job = await uow.insertJob({
      id: newId(),
      kind: 'pipeline',
      owner: args.owner,
      name: definition.name,
      description: definition.description ?? null,
      state: 'pending',
      priority: definition.defaults?.priority ?? 0,
      queue: definition.defaults?.queue ?? 'default',
      tags: definition.tags ?? [],
      definition,
      inputs: definition.inputs ?? {},
      secrets: definition.secrets ?? {},
      context: { tasks: {} },
      position: 1,
      taskCount: definition.tasks.length,
      result: null,
      error: null,
      progress: 0,
      parentJobId: args.parent?.job.id ?? null,
      parentTaskId: args.parent?.taskId ?? null,
      scheduledJobId: args.scheduledJobId ?? null,
      createdAt: now,
      scheduledAt: null,
      startedAt: null,
      completedAt: null,
      failedAt: null,
      cancelledAt: null,
    });
    fx.emit({ type: 'job.state', job, from: null, to: 'pending' });
    return job;
  }

  /** Starts a pending job at its first task. */
  async startJob(uow: UnitOfWork, fx: Effects, job: Job, now: number): Promise<void> {
    await this.enterPosition(uow, fx, job, job.position, now);
  }

  private async moveJob(uow: UnitOfWork, fx: Effects, job: Job, to: JobState, patch: jobsRepo.JobPatch): Promise<Job> {
    assertJobTransition(job.id, job.state, to);
    const moved = uow.updateJob(job.id, job.state, { ...patch, state: to });
    if (!moved) throw new GantryError('conflict', `job ${job.id} changed while it was being updated`);
    const next: Job = { ...job, ...patch, state: to };
    fx.emit({ type: 'job.state', job: next, from: job.state, to });
    return next;
  }

  private async moveTask(uow: UnitOfWork, fx: Effects, task: Task, to: TaskState, patch: tasksRepo.TaskPatch = {}): Promise<Task> {
    assertTaskTransition(task.id, task.state, to);
    const moved = uow.updateTask(task.id, task.state, { ...patch, state: to });
    if (!moved) throw new GantryError('conflict', `task ${task.id} changed while it was being updated`);
    const next: Task = { ...task, ...patch, state: to };
    fx.emit({ type: 'task.state', task: next, from: task.state, to });
    return next;
  }

  /**
   * Creates the top-level task at `position`, or completes the job when none is
   * left. `patch` (progress so far) is written in the same statement as the move.
   */
  private async enterPosition(uow: UnitOfWork, fx: Effects, job: Job, position: number, now: number, patch: jobsRepo.JobPatch = {}): Promise<void> {
    const definition = job.definition as PipelineDefinition;
    const taskDef = definition.tasks[position - 1];
    if (!taskDef) {
      await this.completeJob(uow, fx, { ...job, position }, now, { ...patch, position });
      return;
    }
    let current: Job;
    if (job.state === 'pending') {
      current = await this.moveJob(uow, fx, job, 'scheduled', { ...patch, position, scheduledAt: now });
    } else {
      if (position !== job.position || Object.keys(patch).length > 0) uow.updateJob(job.id, job.state, { ...patch, position });
      current = { ...job, ...patch, position };
    }
    await this.createTask(uow, fx, current, taskDef, { position, parentId: null, siblingIndex: 0 }, {}, now);
  }

  private async completeJob(uow: UnitOfWork, fx: Effects, job: Job, now: number, patch: jobsRepo.JobPatch = {}): Promise<void> {
    const definition = job.definition as PipelineDefinition;
    let result: string | null = null;
    if (definition.output) {
      try {
        result = evaluateTemplate(definition.output, expressionContext(job));
      } catch (error) {
        await this.failJob(uow, fx, job, `output: ${messageOf(error)}`, now);
        return;
      }
    }
    const done = await this.moveJob(uow, fx, job, 'completed', {
      ...patch,
      result,
      completedAt: now,
      progress: 100,
      startedAt: job.startedAt ?? now,
    });
    if (done.parentTaskId) await this.onSubjobEnded(uow, fx, done, now);
  }

  private async failJob(uow: UnitOfWork, fx: Effects, job: Job, error: string, now: number): Promise<void> {
    await this.stopActiveTasks(uow, fx, job.id, now);
    const failed = await this.moveJob(uow, fx, job, 'failed', { error, failedAt: now });
    if (failed.parentTaskId) await this.onSubjobEnded(uow, fx, failed, now);
  }

  /** Cancels a job and everything under it. Returns false when it was not active. */
  async cancelJob(uow: UnitOfWork, fx: Effects, job: Job, now: number): Promise<void> {
    await this.stopActiveTasks(uow, fx, job.id, now);
    await this.moveJob(uow, fx, job, 'cancelled', { cancelledAt: now });
  }

  /**
   * Ends every unfinished task of a job: queued ones at once, running ones by
   * asking their node to stop them (they end when the node reports back), subjobs
   * by cancelling them too.
   */
  private async stopActiveTasks(uow: UnitOfWork, fx: Effects, jobId: string, now: number): Promise<void> {
    const active = await uow.tasksOfJob(jobId, ['created', 'pending', 'scheduled', 'running']);
    for (const task of active) {
      if (task.kind === 'simple' && (task.state === 'scheduled' || task.state === 'running') && task.nodeId) {
        await this.moveTask(uow, fx, task, 'stopping');
        fx.cancels.push({ nodeId: task.nodeId, taskId: task.id, attempt: task.attempt });
        continue;
      }
      if (task.kind === 'subjob' && task.subjobId) {
        const child = await uow.job(task.subjobId);
        const detached = (task.definition as PipelineTask).subjob?.detached;
        if (child && !detached && ['pending', 'scheduled', 'running'].includes(child.state)) {
          await this.stopActiveTasks(uow, fx, child.id, now);
          await this.moveJob(uow, fx, child, 'cancelled', { cancelledAt: now });
        }
      }
      await this.moveTask(uow, fx, task, 'cancelled', { completedAt: now });
    }
  }

  /** Tork's restart: a failed or cancelled job resumes at its current position. */
  async restartJob(uow: UnitOfWork, fx: Effects, job: Job, now: number): Promise<void> {
    const pending = await this.moveJob(uow, fx, job, 'pending', { error: null, failedAt: null, cancelledAt: null });
    await this.enterPosition(uow, fx, pending, pending.position, now);
  }

  // ---- tasks ------------------------------------------------------------

  private async createTask(
    uow: UnitOfWork,
    fx: Effects,
    job: Job,
    raw: PipelineTask,
    placement: Placement,
    scope: Scope,
    now: number,
    initialState: 'pending' | 'created' = 'pending',
  ): Promise<void> {
    const definition = job.definition as PipelineDefinition;
    let task: PipelineTask;
    let runs: boolean;
    try {
      runs = conditionHolds(raw.if, job, scope);
      task = evaluateTask(raw, job, scope);
    } catch (error) {
      await this.failTaskCreation(uow, fx, job, raw, placement, messageOf(error), now);
      return;
    }
    if (!runs) {
      const skipped = newTaskRecord({ job, definition, task, placement, state: 'skipped', now });
      uow.insertTasks([skipped]);
      fx.emit({ type: 'task.state', task: skipped, from: null, to: 'skipped' });
      await this.afterTaskDone(uow, fx, skipped, now);
      return;
    }
    let record: Task;
    try {
      record = newTaskRecord({ job, definition, task, placement, state: task.parallel || task.each || task.subjob ? 'running' : initialState, now });
    } catch (error) {
      await this.failTaskCreation(uow, fx, job, raw, placement, messageOf(error), now);
      return;
    }
    if (record.kind === 'simple') {
      if (!this.knownQueues.has(record.queue)) {
        await queuesRepo.ensure(uow.db, [record.queue], now);
        this.knownQueues.add(record.queue);
      }
      uow.insertTasks([record]);
      fx.emit({ type: 'task.state', task: record, from: null, to: record.state });
      if (record.state === 'pending') fx.wakeScheduler = true;
      return;
    }
    record = { ...record, startedAt: now };
    if (record.kind === 'parallel') {
      const children = task.parallel!.tasks;
      record = { ...record, size: children.length };
      uow.insertTasks([record]);
      fx.emit({ type: 'task.state', task: record, from: null, to: record.state });
      await this.markJobRunning(uow, fx, job.id, now);
      for (const [index, child] of children.entries()) {
        if (!(await this.stillRunning(uow, record.id))) break;
        await this.createTask(uow, fx, await this.reloadJob(uow, job.id), child, { position: placement.position, parentId: record.id, siblingIndex: index }, scope, now);
      }
      return;
    }
    if (record.kind === 'each') {
      const each = task.each!;
      let items: unknown[];
      try {
        items = evaluateEachList(each.list, job, scope);
      } catch (error) {
        await this.failTaskCreation(uow, fx, job, raw, placement, messageOf(error), now);
        return;
      }
      record = { ...record, size: items.length };
      uow.insertTasks([record]);
      fx.emit({ type: 'task.state', task: record, from: null, to: record.state });
      await this.markJobRunning(uow, fx, job.id, now);
      if (items.length === 0) {
        await this.finishComposite(uow, fx, record, now);
        return;
      }
      const limit = each.concurrency && each.concurrency > 0 ? each.concurrency : items.length;
      const itemVar = each.var ?? 'item';
      for (const [index, value] of items.entries()) {
        if (!(await this.stillRunning(uow, record.id))) break;
        const childScope = { ...scope, [itemVar]: { index: String(index), value } };
        await this.createTask(
          uow,
          fx,
          await this.reloadJob(uow, job.id),
          each.task,
          { position: placement.position, parentId: record.id, siblingIndex: index },
          childScope,
          now,
          index < limit ? 'pending' : 'created',
        );
      }
      return;
    }
    // subjob
    const depth = await this.subjobDepth(uow, job);
    if (depth >= MAX_SUBJOB_DEPTH) {
      await this.failTaskCreation(uow, fx, job, raw, placement, `subjobs nest deeper than ${MAX_SUBJOB_DEPTH} levels`, now);
      return;
    }
    const sub = task.subjob!;
    uow.insertTasks([record]);
    fx.emit({ type: 'task.state', task: record, from: null, to: record.state });
    await this.markJobRunning(uow, fx, job.id, now);
    const child = await this.insertJob(uow, fx, {
      definition: subjobDefinition(sub, definition, job.secrets),
      owner: job.owner,
      now,
      // A detached subjob runs on its own: nothing reports back to the task that opened it.
      parent: { job, taskId: sub.detached ? null : record.id },
    });
    uow.updateTask(record.id, record.state, { subjobId: child.id });
    record = { ...record, subjobId: child.id };
    await this.startJob(uow, fx, child, now);
    if (sub.detached) {
      const current = (await uow.task(record.id))!;
      if (current.state === 'running') {
        const done = await this.moveTask(uow, fx, current, 'completed', { completedAt: now });
        await this.afterTaskDone(uow, fx, done, now);
      }
    }
  }

  /** A composite stops creating children once one of them failed it. */
  private async stillRunning(uow: UnitOfWork, taskId: string): Promise<boolean> {
    return (await uow.task(taskId))?.state === 'running';
  }

  private async reloadJob(uow: UnitOfWork, id: string): Promise<Job> {
    return (await uow.job(id))!;
  }

  private async subjobDepth(uow: UnitOfWork, job: Job): Promise<number> {
    let depth = 0;
    let current: Job | undefined = job;
    while (current?.parentJobId && depth <= MAX_SUBJOB_DEPTH) {
      depth++;
      current = await uow.job(current.parentJobId);
    }
    return depth;
  }

  /** A task whose definition cannot be evaluated fails visibly, with the reason. */
  private async failTaskCreation(
    uow: UnitOfWork,
    fx: Effects,
    job: Job,
    raw: PipelineTask,
    placement: Placement,
    error: string,
    now: number,
  ): Promise<void> {
    const definition = job.definition as PipelineDefinition;
    const shell: PipelineTask = { name: raw.name };
    const record: Task = {
      ...newTaskRecord({ job, definition, task: shell, placement, state: 'failed', now }),
      definition: raw,
      runSpec: null,
      error,
      failedAt: now,
    };
    uow.insertTasks([record]);
    fx.emit({ type: 'task.state', task: record, from: null, to: 'failed' });
    await this.afterTaskFailed(uow, fx, record, now);
  }

  private async markJobRunning(uow: UnitOfWork, fx: Effects, jobId: string, now: number): Promise<void> {
    // The guard is the transition table's own list of states that may become running.
    const job = await uow.markJobRunning(jobId, jobStatesLeadingTo('running'), now);
    if (job) fx.emit({ type: 'job.state', job, from: 'scheduled', to: 'running' });
  }

  /** A node started running a task. */
  async taskStarted(uow: UnitOfWork, fx: Effects, task: Task, start: TaskStart, at: number): Promise<void> {
    if (task.state !== 'scheduled') return;
    await this.moveTask(uow, fx, task, 'running', { startedAt: at, backendId: start.backendId });
    await this.markJobRunning(uow, fx, task.jobId, at);
  }

  /**
   * A node reports how far a running task is (0–100). A top-level task also moves
   * its job's progress, as Tork computes it: the tasks before it plus this one's
   * share, two decimals.
   */
  async taskProgress(uow: UnitOfWork, fx: Effects, task: Task, percent: number): Promise<void> {
    if (!Number.isFinite(percent)) return;
    const progress = Math.max(0, Math.min(100, percent));
    if (!uow.updateTask(task.id, task.state, { progress })) return;
    fx.emit({ type: 'task.progress', task: { ...task, progress } });
    if (task.parentId) return;
    const job = await uow.job(task.jobId);
    if (!job || job.taskCount === 0 || (job.state !== 'scheduled' && job.state !== 'running')) return;
    const jobProgress = percentOf((job.position - 1 + progress / 100) / job.taskCount);
    if (jobProgress === job.progress || !uow.updateJob(job.id, job.state, { progress: jobProgress })) return;
    fx.emit({ type: 'job.progress', job: { ...job, progress: jobProgress } });
  }

  /** A node reports how an attempt ended. Stale attempts (already retried elsewhere) are ignored. */
  async taskFinished(uow: UnitOfWork, fx: Effects, task: Task, outcome: RunOutcome, now: number): Promise<void> {
    if (task.state === 'stopping') {
      await this.moveTask(uow, fx, task, 'cancelled', { completedAt: now, exitCode: outcome.exitCode, error: outcome.error ?? 'cancelled' });
      return;
    }
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    if (outcome.end === 'exited' && outcome.exitCode === 0) {
      const done = await this.moveTask(uow, fx, task, 'completed', {
        completedAt: now,
        exitCode: 0,
        // The same execution carries every attempt: a success clears the last failure's message.
        error: null,
        result: outcome.output ?? null,
        progress: 100,
        startedAt: task.startedAt ?? now,
      });
      await this.afterTaskDone(uow, fx, done, now);
      return;
    }
    await this.taskAttemptFailed(uow, fx, task, outcome.error ?? `task ended: ${outcome.end}`, outcome.exitCode, now);
  }

  /**
   * A failed attempt: retried while the task's `retry.limit` allows, with a backoff
   * that doubles per attempt; otherwise the task fails and so does its job.
   */
  async taskAttemptFailed(uow: UnitOfWork, fx: Effects, task: Task, error: string, exitCode: number | null, now: number): Promise<void> {
    if (task.attempt <= task.retryLimit) {
      const delay = Math.min(this.options.retryBackoffMs * 2 ** (task.attempt - 1), this.options.retryBackoffMaxMs);
      await this.moveTask(uow, fx, task, 'pending', {
        attempt: task.attempt + 1,
        error,
        exitCode,
        nodeId: null,
        backendId: null,
        enqueuedAt: now,
        runAfter: now + delay,
        scheduledAt: null,
      });
      if (delay > 0) fx.wakeAt(now + delay);
      else fx.wakeScheduler = true;
      return;
    }
    const failed = await this.moveTask(uow, fx, task, 'failed', { failedAt: now, error, exitCode });
    await this.afterTaskFailed(uow, fx, failed, now);
  }

  /** A node vanished before it started a task: put the task back in its queue as it was. */
  async requeueUnstarted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await this.moveTask(uow, fx, task, 'pending', { nodeId: null, scheduledAt: null, enqueuedAt: now });
    fx.wakeScheduler = true;
  }

  /** A node stopped a running task without being asked (it shut down): queue it again, same attempt. */
  async requeueInterrupted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    await this.moveTask(uow, fx, task, 'pending', { nodeId: null, backendId: null, scheduledAt: null, startedAt: null, enqueuedAt: now });
    fx.wakeScheduler = true;
  }

  private async afterTaskDone(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    let job = await this.reloadJob(uow, task.jobId);
    if (job.state !== 'scheduled' && job.state !== 'running' && job.state !== 'pending') return;
    const varName = (task.definition as PipelineTask).var;
    if (varName && task.result !== null) {
      const context = { tasks: { ...job.context.tasks, [varName]: task.result } };
      uow.updateJob(job.id, job.state, { context });
      job = { ...job, context };
    }
    if (task.parentId) {
      const parent = await uow.task(task.parentId);
      if (!parent || parent.state !== 'running') return;
      const completions = await uow.incrementCompletions(parent.id);
      if (parent.kind === 'each') await this.releaseNextEachItem(uow, fx, parent.id);
      if (completions >= parent.size) await this.finishComposite(uow, fx, { ...parent, completions }, now);
      return;
    }
    const progress = job.taskCount > 0 ? percentOf(job.position / job.taskCount) : 100;
    if (progress !== job.progress && job.position < job.taskCount) fx.emit({ type: 'job.progress', job: { ...job, progress } });
    await this.enterPosition(uow, fx, job, job.position + 1, now, progress !== job.progress ? { progress } : {});
  }

  private async releaseNextEachItem(uow: UnitOfWork, fx: Effects, parentId: string): Promise<void> {
    const waiting = (await uow.childrenOf(parentId)).find((child) => child.state === 'created');
    if (waiting) {
      await this.moveTask(uow, fx, waiting, 'pending');
      fx.wakeScheduler = true;
    }
  }

  private async finishComposite(uow: UnitOfWork, fx: Effects, parent: Task, now: number): Promise<void> {
    const done = await this.moveTask(uow, fx, parent, 'completed', { completedAt: now, completions: parent.size });
    await this.afterTaskDone(uow, fx, done, now);
  }

  private async afterTaskFailed(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    if (task.parentId) {
      const parent = await uow.task(task.parentId);
      if (parent && parent.state === 'running') {
        const failed = await this.moveTask(uow, fx, parent, 'failed', { failedAt: now, error: task.error });
        await this.afterTaskFailed(uow, fx, failed, now);
      }
      return;
    }
    const job = await this.reloadJob(uow, task.jobId);
    if (job.state === 'scheduled' || job.state === 'running' || job.state === 'pending') {
      await this.failJob(uow, fx, job, task.error ?? 'task failed', now);
    }
  }

  /** A subjob ended: its parent task in the parent job ends the same way. */
  private async onSubjobEnded(uow: UnitOfWork, fx: Effects, child: Job, now: number): Promise<void> {
    const parentTask = await uow.task(child.parentTaskId!);
    if (!parentTask || parentTask.state !== 'running') return;
    if (child.state === 'completed') {
      const done = await this.moveTask(uow, fx, parentTask, 'completed', { completedAt: now, result: child.result });
      await this.afterTaskDone(uow, fx, done, now);
    } else if (child.state === 'failed') {
      const failed = await this.moveTask(uow, fx, parentTask, 'failed', { failedAt: now, error: child.error ?? 'subjob failed' });
      await this.afterTaskFailed(uow, fx, failed, now);
    }
  }
}

/**
 * A subjob's secrets: its own, plus its parent's, so that a parent secret passed
 * down in `inputs`, a name or an env value is masked in the child's answers and
 * logs too. On a name clash the child's own value wins and the parent's is kept
 * under `parent.<name>`, for masking only.
 */
function subjobSecrets(own: Record<string, string> | undefined, parent: Record<string, string>): Record<string, string> | undefined {
  const secrets: Record<string, string> = { ...own };
  for (const [name, value] of Object.entries(parent)) {
    if (!(name in secrets)) secrets[name] = value;
    else if (secrets[name] !== value) secrets[`parent.${name}`] = value;
  }
  return Object.keys(secrets).length > 0 ? secrets : undefined;
}

function subjobDefinition(sub: PipelineSubjob, parent: PipelineDefinition, parentSecrets: Record<string, string>): PipelineDefinition {
  return {
    name: sub.name,
    description: sub.description,
    tasks: sub.tasks,
    inputs: sub.inputs,
    secrets: subjobSecrets(sub.secrets, parentSecrets),
    output: sub.output,
    webhooks: sub.webhooks,
    autoDelete: sub.autoDelete,
    defaults: parent.defaults,
  };
}

/** A fraction as a percentage with two decimals, as Tork keeps progress. */
function percentOf(fraction: number): number {
  return Math.round(fraction * 100 * 100) / 100;
}

function messageOf(error: unknown): string {
  if (isGantryError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
