import { GantryError } from '../core/errors.js';
import type { Task } from '../core/model.js';
import { assertTaskTransition, type TaskState } from '../core/states.js';
import type * as tasksRepo from '../store/tasks-repo.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { Effects } from './effects.js';

/**
 * The moves of long-running tasks (application services, workflow pilots) that
 * their engines share: a checked state change with its event, and a stop.
 */

/** Moves a task to `to` (checked), recording `patch`, and announces it after commit. */
export async function moveTask(uow: UnitOfWork, fx: Effects, task: Task, to: TaskState, patch: tasksRepo.TaskPatch = {}): Promise<Task> {
  assertTaskTransition(task.id, task.state, to);
  if (!uow.updateTask(task.id, task.state, { ...patch, state: to })) throw new GantryError('conflict', `task ${task.id} changed while it was being updated`);
  const next: Task = { ...task, ...patch, state: to };
  fx.emit({ type: 'task.state', task: next, from: task.state, to });
  return next;
}

/**
 * Stops a task: one its node has is asked to stop (and ends `cancelled` when the
 * node says it did); one no node has started is cancelled at once.
 */
export async function stopTask(uow: UnitOfWork, fx: Effects, task: Task, reason?: string): Promise<void> {
  if (task.nodeId && (task.state === 'scheduled' || task.state === 'running')) {
    await moveTask(uow, fx, task, 'stopping');
    fx.cancels.push({ nodeId: task.nodeId, taskId: task.id, attempt: task.attempt });
  } else if (task.state === 'pending' || task.state === 'scheduled') {
    await moveTask(uow, fx, task, 'cancelled', { completedAt: Date.now(), ...(reason ? { error: reason } : {}) });
  }
}
