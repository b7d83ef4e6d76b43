import type { AppDefinition, ServiceInstance } from '../../core/app.js';
import { GantryError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Job, Task } from '../../core/model.js';
import type { RunOutcome } from '../../core/run-spec.js';
import { assertJobTransition, TERMINAL_JOB_STATES, type JobState } from '../../core/states.js';
import * as appsRepo from '../../store/apps-repo.js';
import type * as jobsRepo from '../../store/jobs-repo.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import type { Effects } from '../effects.js';
import { moveTask, stopTask } from '../task-moves.js';
import type { TaskEvents, TaskStart } from '../task-events.js';
import { serviceRunSpec } from './service-run-spec.js';

/** The queue application services are recorded in. No node serves it: the application scheduler places them itself. */
export const APP_QUEUE = 'gantry-apps';

const ACTIVE_JOB: readonly JobState[] = ['pending', 'scheduled', 'running'];

/**
 * Moves application executions along: admits them (all essential instances at
 * once), starts and stops single instances, applies what nodes report about
 * them, and ends an execution when its monitor service exits or an essential
 * one dies. Every method runs inside the caller's transaction.
 */
export class AppEngine implements TaskEvents {
  /** Starts an execution's essential instances on `nodeId`. False when it is no longer queued. */
  async admit(uow: UnitOfWork, fx: Effects, jobId: string, nodeId: string, now: number): Promise<boolean> {
    const job = await uow.job(jobId);
    if (!job || job.state !== 'pending') return false;
    const instances = await appsRepo.instancesOfJob(uow.db, jobId);
    const started = await this.moveJob(uow, fx, job, 'scheduled', { scheduledAt: now, startedAt: now });
    const definition = job.definition as AppDefinition;
    const essential = instances.filter((instance) => instance.essential);
    // Zoe starts services in `startup_order`; they start side by side here, handed to the node in that order.
    const order = new Map(definition.spec.services.map((service) => [service.group, service.startupOrder]));
    essential.sort((a, b) => order.get(a.group)! - order.get(b.group)! || a.numId - b.numId);
    for (const instance of essential) await this.startInstance(uow, fx, started, instances, instance, nodeId, now);
    return true;
  }

  /** Starts one waiting (elastic) instance of a running execution. False when that no longer applies. */
  async startElastic(uow: UnitOfWork, fx: Effects, jobId: string, instanceNumId: number, nodeId: string, now: number): Promise<boolean> {
    const job = await uow.job(jobId);
    if (!job || (job.state !== 'scheduled' && job.state !== 'running')) return false;
    const instances = await appsRepo.instancesOfJob(uow.db, jobId);
    const instance = instances.find((candidate) => candidate.numId === instanceNumId);
    if (!instance || instance.taskId !== null) return false;
    await this.startInstance(uow, fx, job, instances, instance, nodeId, now);
    return true;
  }

  /** Stops an elastic instance to make room; it waits to run again while its execution runs. */
  async preempt(uow: UnitOfWork, fx: Effects, taskId: string): Promise<boolean> {
    const task = await uow.task(taskId);
    if (!task || (task.state !== 'scheduled' && task.state !== 'running')) return false;
    await stopTask(uow, fx, task);
    return true;
  }

  /** Ends an execution at the user's request: queued ones at once, running ones once their services have stopped. */
  async terminate(uow: UnitOfWork, fx: Effects, job: Job, now: number, reason?: string): Promise<void> {
    await this.stopAll(uow, fx, job.id);
    await this.moveJob(uow, fx, job, 'cancelled', { cancelledAt: now, ...(reason ? { error: reason } : {}) });
    fx.wakeApps = true;
  }

  /** Fails a queued execution that can never run, with the reason. */
  async fail(uow: UnitOfWork, fx: Effects, job: Job, error: string, now: number): Promise<void> {
    await this.stopAll(uow, fx, job.id);
    await this.moveJob(uow, fx, job, 'failed', { failedAt: now, error });
  }

  private async startInstance(uow: UnitOfWork, fx: Effects, job: Job, instances: readonly ServiceInstance[], instance: ServiceInstance, nodeId: string, now: number): Promise<void> {
    const definition = job.definition as AppDefinition;
    const runSpec = serviceRunSpec(job, definition, instances, instance);
    const task: Task = {
      id: newId(),
      jobId: job.id,
      parentId: null,
      position: 1,
      siblingIndex: instance.numId,
      kind: 'simple',
      name: instance.name,
      description: null,
      state: 'scheduled',
      definition: { group: instance.group, instance: instance.numId },
      runSpec,
      queue: APP_QUEUE,
      priority: job.priority,
      attempt: 1,
      retryLimit: 0,
      nodeId,
      backendId: null,
      exitCode: null,
      error: null,
      result: null,
      progress: 0,
      completions: 0,
      size: 0,
      subjobId: null,
      createdAt: now,
      enqueuedAt: now,
      runAfter: now,
      scheduledAt: now,
      startedAt: null,
      completedAt: null,
      failedAt: null,
    };
    uow.insertTasks([task]);
    await appsRepo.setInstanceTask(uow.db, instance.numId, task.id);
    fx.emit({ type: 'task.state', task, from: null, to: 'scheduled' });
    fx.deliveries.push({ nodeId, assignment: { taskId: task.id, jobId: job.id, attempt: 1, spec: runSpec } });
  }

  private async stopAll(uow: UnitOfWork, fx: Effects, jobId: string): Promise<void> {
    for (const task of await uow.tasksOfJob(jobId, ['pending', 'scheduled', 'running'])) await stopTask(uow, fx, task);
  }

  // ---- what nodes report ------------------------------------------------

  async taskStarted(uow: UnitOfWork, fx: Effects, task: Task, start: TaskStart, at: number): Promise<void> {
    if (task.state !== 'scheduled') return;
    await moveTask(uow, fx, task, 'running', { startedAt: at, backendId: start.backendId });
    if (start.endpoints) {
      const instance = await appsRepo.instanceByTask(uow.db, task.id);
      if (instance) {
        const bound = new Map(start.endpoints.ports.map((port) => [port.name, port.hostPort]));
        const ports = instance.ports.map((port) => ({ ...port, hostPort: bound.get(port.name) ?? null }));
        await appsRepo.setInstanceEndpoints(uow.db, task.id, start.endpoints.host, ports);
      }
    }
    const job = await uow.job(task.jobId);
    if (job?.state !== 'scheduled') return;
    const instances = await appsRepo.instancesOfJob(uow.db, job.id);
    const running = new Set((await uow.tasksOfJob(job.id, ['running'])).map((candidate) => candidate.id));
    if (instances.every((instance) => !instance.essential || (instance.taskId !== null && running.has(instance.taskId)))) {
      await this.moveJob(uow, fx, job, 'running', {});
    }
  }

  async taskProgress(): Promise<void> {
    // Services report no progress.
  }

  async taskFinished(uow: UnitOfWork, fx: Effects, task: Task, outcome: RunOutcome, now: number): Promise<void> {
    fx.wakeApps = true;
    if (task.state === 'stopping') {
      await moveTask(uow, fx, task, 'cancelled', { completedAt: now, exitCode: outcome.exitCode, error: outcome.error ?? 'stopped' });
      const job = await uow.job(task.jobId);
      const instance = await appsRepo.instanceByTask(uow.db, task.id);
      // Stopped while its execution goes on: an elastic instance that made room, to run again when there is some.
      if (job && ACTIVE_JOB.includes(job.state) && instance && !instance.essential) await appsRepo.setInstanceTask(uow.db, instance.numId, null);
      return;
    }
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    const ok = outcome.end === 'exited' && outcome.exitCode === 0;
    const ended = ok
      ? await moveTask(uow, fx, task, 'completed', { completedAt: now, exitCode: 0, startedAt: task.startedAt ?? now })
      : await moveTask(uow, fx, task, 'failed', { failedAt: now, exitCode: outcome.exitCode, error: outcome.error ?? `service ended: ${outcome.end}` });
    await this.afterServiceEnded(uow, fx, ended, ok, now);
  }

  async taskAttemptFailed(uow: UnitOfWork, fx: Effects, task: Task, error: string, _exitCode: number | null, now: number): Promise<void> {
    await this.lost(uow, fx, task, error, now);
  }

  async requeueUnstarted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await this.lost(uow, fx, task, 'its node went away before the service started', now);
  }

  async requeueInterrupted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await this.lost(uow, fx, task, 'its node stopped the service (the node shut down)', now);
  }

  /**
   * A service was lost with its node (the node went away, or shut down with
   * the server): not the application's doing, so its execution goes back to
   * the queue, its other services are stopped, and it starts again from the
   * beginning once there is room (after a restart, when the node is back).
   */
  private async lost(uow: UnitOfWork, fx: Effects, task: Task, reason: string, now: number): Promise<void> {
    if (task.state === 'stopping') {
      await this.taskFinished(uow, fx, task, { end: 'cancelled', exitCode: null, error: reason }, now);
      return;
    }
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    await moveTask(uow, fx, task, 'failed', { failedAt: now, error: reason });
    fx.wakeApps = true;
    const job = await uow.job(task.jobId);
    if (!job || (job.state !== 'scheduled' && job.state !== 'running')) return;
    await this.stopAll(uow, fx, job.id);
    for (const instance of await appsRepo.instancesOfJob(uow.db, job.id)) await appsRepo.setInstanceTask(uow.db, instance.numId, null);
    await this.moveJob(uow, fx, job, 'pending', { scheduledAt: null, startedAt: null });
  }

  /**
   * The monitor service ending ends its execution (terminated when it exited
   * with 0, else in error); an essential service dying fails it; an elastic one
   * simply stays down.
   */
  private async afterServiceEnded(uow: UnitOfWork, fx: Effects, task: Task, ok: boolean, now: number): Promise<void> {
    const job = await uow.job(task.jobId);
    if (!job || !ACTIVE_JOB.includes(job.state) || job.state === 'pending') return;
    const instance = await appsRepo.instanceByTask(uow.db, task.id);
    if (!instance) return;
    if (instance.monitor) {
      await this.stopAll(uow, fx, job.id);
      if (ok) await this.moveJob(uow, fx, job, 'completed', { completedAt: now });
      else await this.moveJob(uow, fx, job, 'failed', { failedAt: now, error: `service ${instance.name} failed: ${task.error ?? 'it ended'}` });
      return;
    }
    if (instance.essential) {
      await this.stopAll(uow, fx, job.id);
      const how = ok ? 'exited' : `failed: ${task.error ?? 'it ended'}`;
      await this.moveJob(uow, fx, job, 'failed', { failedAt: now, error: `essential service ${instance.name} ${how}` });
    }
  }

  // ---- moves ------------------------------------------------------------

  private async moveJob(uow: UnitOfWork, fx: Effects, job: Job, to: JobState, patch: jobsRepo.JobPatch): Promise<Job> {
    assertJobTransition(job.id, job.state, to);
    if (!uow.updateJob(job.id, job.state, { ...patch, state: to })) throw new GantryError('conflict', `job ${job.id} changed while it was being updated`);
    const next: Job = { ...job, ...patch, state: to };
    fx.emit({ type: 'job.state', job: next, from: job.state, to });
    if (TERMINAL_JOB_STATES.has(to)) fx.wakeApps = true;
    return next;
  }
}
