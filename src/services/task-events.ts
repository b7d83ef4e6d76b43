import type { Task } from '../core/model.js';
import type { RunEndpoints, RunOutcome } from '../core/run-spec.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { Effects } from './effects.js';

export interface TaskStart {
  backendId: string;
  endpoints?: RunEndpoints;
}

/**
 * What happens to a task on its node, as the engine of its job's kind applies
 * it. Every method runs inside the caller's transaction.
 */
export interface TaskEvents {
  taskStarted(uow: UnitOfWork, fx: Effects, task: Task, start: TaskStart, at: number): Promise<void>;
  taskProgress(uow: UnitOfWork, fx: Effects, task: Task, percent: number): Promise<void>;
  taskFinished(uow: UnitOfWork, fx: Effects, task: Task, outcome: RunOutcome, now: number): Promise<void>;
  /** The attempt was lost (its node went away while it ran). */
  taskAttemptFailed(uow: UnitOfWork, fx: Effects, task: Task, error: string, exitCode: number | null, now: number): Promise<void>;
  /** Its node went away before it started. */
  requeueUnstarted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void>;
  /** Its node stopped it without being asked (the node shut down). */
  requeueInterrupted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void>;
}

/** Sends each task's events to the engine of its job's kind: applications and workflows to theirs, everything else to the pipeline engine. */
export class TaskEventRouter implements TaskEvents {
  constructor(
    private readonly pipelines: TaskEvents,
    private readonly apps: TaskEvents,
    private readonly pilots: TaskEvents,
  ) {}

  private async engineOf(uow: UnitOfWork, task: Task): Promise<TaskEvents> {
    const kind = (await uow.job(task.jobId))?.kind;
    return kind === 'app' ? this.apps : kind === 'workflow' ? this.pilots : this.pipelines;
  }

  async taskStarted(uow: UnitOfWork, fx: Effects, task: Task, start: TaskStart, at: number): Promise<void> {
    await (await this.engineOf(uow, task)).taskStarted(uow, fx, task, start, at);
  }

  async taskProgress(uow: UnitOfWork, fx: Effects, task: Task, percent: number): Promise<void> {
    await (await this.engineOf(uow, task)).taskProgress(uow, fx, task, percent);
  }

  async taskFinished(uow: UnitOfWork, fx: Effects, task: Task, outcome: RunOutcome, now: number): Promise<void> {
    await (await this.engineOf(uow, task)).taskFinished(uow, fx, task, outcome, now);
  }

  async taskAttemptFailed(uow: UnitOfWork, fx: Effects, task: Task, error: string, exitCode: number | null, now: number): Promise<void> {
    await (await this.engineOf(uow, task)).taskAttemptFailed(uow, fx, task, error, exitCode, now);
  }

  async requeueUnstarted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await (await this.engineOf(uow, task)).requeueUnstarted(uow, fx, task, now);
  }

  async requeueInterrupted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await (await this.engineOf(uow, task)).requeueInterrupted(uow, fx, task, now);
  }
}
