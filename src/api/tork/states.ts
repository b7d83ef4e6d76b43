import type { NodeStatus, ScheduleState } from '../../core/model.js';
import type { JobState, TaskState } from '../../core/states.js';

/** Core states in Tork's words. Exhaustive: a new core state fails to compile until mapped. */
export const TORK_JOB_STATE: Record<JobState, string> = {
  pending: 'PENDING',
  scheduled: 'SCHEDULED',
  running: 'RUNNING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

export const TORK_TASK_STATE: Record<TaskState, string> = {
  created: 'CREATED',
  pending: 'PENDING',
  scheduled: 'SCHEDULED',
  running: 'RUNNING',
  // Tork has no word for "asked to stop, not yet stopped"; it is still running.
  stopping: 'RUNNING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  skipped: 'SKIPPED',
};

export const TORK_NODE_STATUS: Record<NodeStatus, string> = { UP: 'UP', DOWN: 'DOWN', OFFLINE: 'OFFLINE' };

export const TORK_SCHEDULE_STATE: Record<ScheduleState, string> = { active: 'ACTIVE', paused: 'PAUSED' };
