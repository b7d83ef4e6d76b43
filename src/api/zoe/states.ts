import type { JobState, TaskState } from '../../core/states.js';

/** Zoe's execution statuses (zoe_lib/state/execution.py). */
export const ZOE_EXECUTION_STATUSES = ['submitted', 'queued', 'starting', 'error', 'running', 'cleaning up', 'terminated'] as const;
export type ZoeExecutionStatus = (typeof ZOE_EXECUTION_STATUSES)[number];

/** The seed page also lists `scheduled` (an older word for queued): accepted as a filter. */
const FILTER_ALIASES: Record<string, ZoeExecutionStatus> = { scheduled: 'queued' };

/**
 * A job's status in Zoe's words. Waiting for room is `queued` (Gantry records a
 * submission and queues it in one step, so nothing stays `submitted`); admitted
 * and starting its services is `starting`; an ended execution whose services
 * are still stopping is `cleaning up`.
 */
export function zoeExecutionStatus(state: JobState, stopping: boolean): ZoeExecutionStatus {
  switch (state) {
    case 'pending':
      return 'queued';
    case 'scheduled':
      return 'starting';
    case 'running':
      return 'running';
    case 'failed':
      return stopping ? 'cleaning up' : 'error';
    case 'completed':
    case 'cancelled':
      return stopping ? 'cleaning up' : 'terminated';
  }
}

/** The job states (and whether services are still stopping) a status filter asks for; undefined for an unknown status. */
export function statesOfStatus(status: string): { states: JobState[]; stopping?: boolean } | undefined {
  const known = (FILTER_ALIASES[status] ?? status) as ZoeExecutionStatus;
  switch (known) {
    case 'submitted':
    case 'queued':
      return { states: ['pending'] };
    case 'starting':
      return { states: ['scheduled'] };
    case 'running':
      return { states: ['running'] };
    case 'error':
      return { states: ['failed'], stopping: false };
    case 'cleaning up':
      return { states: ['completed', 'failed', 'cancelled'], stopping: true };
    case 'terminated':
      return { states: ['completed', 'cancelled'], stopping: false };
    default:
      return undefined;
  }
}

export type ZoeServiceStatus = 'created' | 'runnable' | 'starting' | 'active' | 'terminating' | 'inactive';
export type ZoeBackendStatus = 'undefined' | 'created' | 'started' | 'dead' | 'destroyed' | 'oom-killed';

/** An instance's status and its backend's, from its current task (none: never ran, or waits for room). */
export function zoeServiceStatus(task: { state: TaskState; error: string | null } | undefined, executionActive: boolean, essential: boolean): { status: ZoeServiceStatus; backend: ZoeBackendStatus } {
  if (!task) return { status: executionActive ? (essential ? 'created' : 'runnable') : 'inactive', backend: 'undefined' };
  switch (task.state) {
    case 'created':
    case 'pending':
    case 'scheduled':
      return { status: 'starting', backend: 'created' };
    case 'running':
      return { status: 'active', backend: 'started' };
    case 'stopping':
      return { status: 'terminating', backend: 'started' };
    case 'failed':
      return { status: 'inactive', backend: /out of memory|oom/i.test(task.error ?? '') ? 'oom-killed' : 'dead' };
    default:
      return { status: 'inactive', backend: 'destroyed' };
  }
}
