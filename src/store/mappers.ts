import type { Job, ScheduledJob, Task, TaskLogPart, WorkerNode } from '../core/model.js';
import type { JobState, TaskState } from '../core/states.js';
import type { Selectable } from 'kysely';
import type { JobRow, NodeRow, ScheduledJobRow, TaskLogRow, TaskRow } from './tables.js';

/** Row ↔ domain conversion. Repositories return domain types, never rows. */

const parse = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

export function jobFromRow(row: Selectable<JobRow>): Job {
  return {
    id: row.id,
    numId: Number(row.num_id),
    kind: row.kind as Job['kind'],
    owner: row.owner,
    name: row.name,
    description: row.description,
    state: row.state as JobState,
    priority: row.priority,
    queue: row.queue,
    tags: parse(row.tags, []),
    definition: parse(row.definition, null),
    inputs: parse(row.inputs, {}),
    secrets: parse(row.secrets, {}),
    context: parse(row.context, { tasks: {} }),
    position: row.position,
    taskCount: row.task_count,
    result: row.result,
    error: row.error,
    progress: row.progress,
    parentJobId: row.parent_job_id,
    parentTaskId: row.parent_task_id,
    scheduledJobId: row.scheduled_job_id,
    createdAt: row.created_at,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    failedAt: row.failed_at,
    cancelledAt: row.cancelled_at,
  };
}

export function taskFromRow(row: TaskRow): Task {
  return {
    id: row.id,
    jobId: row.job_id,
    parentId: row.parent_id,
    position: row.position,
    siblingIndex: row.sibling_index,
    kind: row.kind as Task['kind'],
    name: row.name,
    description: row.description,
    state: row.state as TaskState,
    definition: parse(row.definition, null),
    runSpec: parse(row.run_spec, null),
    queue: row.queue,
    priority: row.priority,
    attempt: row.attempt,
    retryLimit: row.retry_limit,
    nodeId: row.node_id,
    backendId: row.backend_id,
    exitCode: row.exit_code,
    error: row.error,
    result: row.result,
    progress: row.progress,
    completions: row.completions,
    size: row.size,
    subjobId: row.subjob_id,
    createdAt: row.created_at,
    enqueuedAt: row.enqueued_at,
    runAfter: row.run_after,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    failedAt: row.failed_at,
  };
}

export function taskToRow(task: Task): TaskRow {
  return {
    id: task.id,
    job_id: task.jobId,
    parent_id: task.parentId,
    position: task.position,
    sibling_index: task.siblingIndex,
    kind: task.kind,
    name: task.name,
    description: task.description,
    state: task.state,
    definition: JSON.stringify(task.definition),
    run_spec: task.runSpec === null ? null : JSON.stringify(task.runSpec),
    queue: task.queue,
    priority: task.priority,
    attempt: task.attempt,
    retry_limit: task.retryLimit,
    node_id: task.nodeId,
    backend_id: task.backendId,
    exit_code: task.exitCode,
    error: task.error,
    result: task.result,
    progress: task.progress,
    completions: task.completions,
    size: task.size,
    subjob_id: task.subjobId,
    created_at: task.createdAt,
    enqueued_at: task.enqueuedAt,
    run_after: task.runAfter,
    scheduled_at: task.scheduledAt,
    started_at: task.startedAt,
    completed_at: task.completedAt,
    failed_at: task.failedAt,
  };
}

export function logPartFromRow(row: Selectable<TaskLogRow>): TaskLogPart {
  return {
    id: String(row.id),
    taskId: row.task_id,
    jobId: row.job_id,
    number: row.number,
    contents: row.contents,
    createdAt: row.created_at,
  };
}

export function nodeFromRow(row: NodeRow): WorkerNode {
  return {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    version: row.version,
    privateQueue: row.private_queue,
    queues: parse(row.queues, []),
    status: row.status as WorkerNode['status'],
    cpuPercent: row.cpu_percent,
    maxTasks: row.max_tasks,
    capacityCpus: row.capacity_cpus,
    capacityMemoryBytes: row.capacity_memory_bytes,
    labels: parse(row.labels, {}),
    taskCount: row.task_count,
    startedAt: row.started_at,
    lastHeartbeatAt: row.last_heartbeat_at,
  };
}

export function scheduledJobFromRow(row: ScheduledJobRow): ScheduledJob {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    description: row.description,
    cron: row.cron,
    state: row.state as ScheduledJob['state'],
    tags: parse(row.tags, []),
    definition: parse(row.definition, null),
    createdAt: row.created_at,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
  };
}
