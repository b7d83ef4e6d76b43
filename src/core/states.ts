/**
 * Job and task state machines as data. `docs/states.md` draws them.
 * Every state change goes through `assertJobTransition` / `assertTaskTransition`:
 * an illegal move is a bug in Gantry, never a user error, so it throws.
 */

export const JOB_STATES = ['pending', 'scheduled', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TASK_STATES = [
  'created',
  'pending',
  'scheduled',
  'running',
  'stopping',
  'completed',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

const JOB_TRANSITIONS: Record<JobState, readonly JobState[]> = {
  // pending → completed happens when every task is skipped by its `if`.
  pending: ['scheduled', 'running', 'completed', 'failed', 'cancelled'],
  // → pending: an application that lost its node goes back to the queue, to start again.
  scheduled: ['pending', 'running', 'completed', 'failed', 'cancelled'],
  running: ['pending', 'completed', 'failed', 'cancelled'],
  completed: [],
  // restart: a failed or cancelled job goes back to pending and resumes at its position.
  failed: ['pending'],
  cancelled: ['pending'],
};

const TASK_TRANSITIONS: Record<TaskState, readonly TaskState[]> = {
  // created: waiting for a sibling slot (`each` concurrency) before it may queue.
  created: ['pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'],
  pending: ['scheduled', 'running', 'completed', 'failed', 'cancelled', 'skipped'],
  // scheduled → pending: the node it was placed on went away before it started.
  // scheduled → stopping: cancelled after it was handed to a node; the node confirms.
  scheduled: ['pending', 'running', 'stopping', 'failed', 'cancelled'],
  // running → pending: a retry (attempt + 1) or a restarted server re-queuing it.
  running: ['pending', 'stopping', 'completed', 'failed', 'cancelled'],
  stopping: ['cancelled', 'failed', 'completed'],
  completed: [],
  failed: ['pending'],
  cancelled: [],
  skipped: [],
};

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(['completed', 'failed', 'cancelled', 'skipped']);
export const ACTIVE_TASK_STATES: readonly TaskState[] = ['created', 'pending', 'scheduled', 'running', 'stopping'];

export class IllegalTransitionError extends Error {
  constructor(kind: 'job' | 'task', id: string, from: string, to: string) {
    super(`illegal ${kind} transition for ${id}: ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canJobMove(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

export function canTaskMove(from: TaskState, to: TaskState): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

export function assertJobTransition(id: string, from: JobState, to: JobState): void {
  if (!canJobMove(from, to)) throw new IllegalTransitionError('job', id, from, to);
}

export function assertTaskTransition(id: string, from: TaskState, to: TaskState): void {
  if (!canTaskMove(from, to)) throw new IllegalTransitionError('task', id, from, to);
}

/** The task states from which a given target can be reached; used to guard UPDATEs. */
export function taskStatesLeadingTo(to: TaskState): TaskState[] {
  return TASK_STATES.filter((from) => TASK_TRANSITIONS[from].includes(to));
}

export function jobStatesLeadingTo(to: JobState): JobState[] {
  return JOB_STATES.filter((from) => JOB_TRANSITIONS[from].includes(to));
}
