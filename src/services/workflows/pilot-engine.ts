import type { Task } from '../../core/model.js';
import type { RunOutcome } from '../../core/run-spec.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import type { Effects } from '../effects.js';
import { moveTask } from '../task-moves.js';
import type { TaskEvents, TaskStart } from '../task-events.js';

/**
 * What becomes of pilots, the tasks of workflows. A pilot that dies (killed,
 * out of memory, failing) is not retried: the events it held go to the
 * others, and its taskforce records how it ended, as HTCondor would not
 * restart a worker either. A pilot lost with its node (the node went away or
 * shut down with the server) is no fault of its own: it waits to start again,
 * so a restarted server carries on with its workflows.
 */
export class PilotEngine implements TaskEvents {
  async taskStarted(uow: UnitOfWork, fx: Effects, task: Task, start: TaskStart, at: number): Promise<void> {
    if (task.state !== 'scheduled') return;
    await moveTask(uow, fx, task, 'running', { startedAt: at, backendId: start.backendId });
  }

  async taskProgress(): Promise<void> {
    // Pilots report their state over the workflow routes instead.
  }

  async taskFinished(uow: UnitOfWork, fx: Effects, task: Task, outcome: RunOutcome, now: number): Promise<void> {
    if (task.state === 'stopping') {
      await moveTask(uow, fx, task, 'cancelled', { completedAt: now, exitCode: outcome.exitCode, error: outcome.error ?? 'stopped' });
      return;
    }
    if (task.state === 'pending') {
      await moveTask(uow, fx, task, 'cancelled', { completedAt: now, error: outcome.error ?? 'stopped' });
      return;
    }
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    if (outcome.end === 'exited' && outcome.exitCode === 0) {
      await moveTask(uow, fx, task, 'completed', { completedAt: now, exitCode: 0, startedAt: task.startedAt ?? now });
    } else {
      await moveTask(uow, fx, task, 'failed', { failedAt: now, exitCode: outcome.exitCode, error: outcome.error ?? `pilot ended: ${outcome.end}` });
    }
  }

  async taskAttemptFailed(uow: UnitOfWork, fx: Effects, task: Task, error: string, exitCode: number | null, now: number): Promise<void> {
    await this.lost(uow, fx, task, error, exitCode, now);
  }

  async requeueInterrupted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    await this.lost(uow, fx, task, 'its node stopped the pilot (the node shut down)', null, now);
  }

  async requeueUnstarted(uow: UnitOfWork, fx: Effects, task: Task, now: number): Promise<void> {
    // It never ran: it may run elsewhere, or when the node is back.
    if (task.state === 'scheduled') {
      await moveTask(uow, fx, task, 'pending', { nodeId: null, scheduledAt: null, enqueuedAt: now, runAfter: now });
      fx.wakeScheduler = true;
    }
  }

  /** Lost with its node: it starts again while its workflow runs (a stopping one is simply over). */
  private async lost(uow: UnitOfWork, fx: Effects, task: Task, error: string, exitCode: number | null, now: number): Promise<void> {
    if (task.state === 'stopping') {
      await moveTask(uow, fx, task, 'cancelled', { completedAt: now, error });
      return;
    }
    if (task.state !== 'running' && task.state !== 'scheduled') return;
    const job = await uow.job(task.jobId);
    if (job?.state !== 'running') {
      await moveTask(uow, fx, task, 'failed', { failedAt: now, exitCode, error });
      return;
    }
    await moveTask(uow, fx, task, 'pending', { nodeId: null, backendId: null, scheduledAt: null, startedAt: null, enqueuedAt: now, runAfter: now, error });
    fx.wakeScheduler = true;
  }
}
