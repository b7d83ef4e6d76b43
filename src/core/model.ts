import type { RunOutcome, RunSpec } from './run-spec.js';
import type { JobState, TaskState } from './states.js';

/** Epoch milliseconds. */
export type Millis = number;

export type JobKind = 'pipeline' | 'app' | 'exec' | 'external' | 'workflow';

/** What a user submitted. See DESIGN.md "Core model". */
export interface Job {
  id: string;
  /** Numeric id for the dialects that use integers (Zoe, ClusterCockpit). */
  numId: number;
  kind: JobKind;
  owner: string;
  name: string;
  description: string | null;
  state: JobState;
  priority: number;
  queue: string;
  tags: string[];
  /** The definition as submitted (kind-specific; a PipelineDefinition for pipelines). */
  definition: unknown;
  inputs: Record<string, string>;
  /** Secret values; never rendered to users. */
  secrets: Record<string, string>;
  /** Values produced while the job runs: task outputs by `var`. */
  context: { tasks: Record<string, string> };
  /** 1-based index of the top-level task the job is at. */
  position: number;
  taskCount: number;
  result: string | null;
  error: string | null;
  progress: number;
  parentJobId: string | null;
  parentTaskId: string | null;
  scheduledJobId: string | null;
  createdAt: Millis;
  scheduledAt: Millis | null;
  startedAt: Millis | null;
  completedAt: Millis | null;
  failedAt: Millis | null;
  cancelledAt: Millis | null;
}

export type TaskKind = 'simple' | 'parallel' | 'each' | 'subjob';

/** One run of one process, or a composite that fans out into child tasks. */
export interface Task {
  id: string;
  jobId: string;
  /** The composite task this one belongs to (parallel/each child), else null. */
  parentId: string | null;
  /** 1-based index of the top-level task this belongs to. */
  position: number;
  /** Index among the siblings of a composite (each item index, parallel slot). */
  siblingIndex: number;
  kind: TaskKind;
  name: string;
  description: string | null;
  state: TaskState;
  /** Kind-specific definition, after expression evaluation (a PipelineTask for pipelines). */
  definition: unknown;
  /** What a worker runs; null for composites. */
  runSpec: RunSpec | null;
  queue: string;
  priority: number;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  /** Retries allowed after the first try. */
  retryLimit: number;
  nodeId: string | null;
  backendId: string | null;
  exitCode: number | null;
  error: string | null;
  result: string | null;
  progress: number;
  /** Children finished so far (composites). */
  completions: number;
  /** Children in all (composites). */
  size: number;
  /** For a subjob task: the child job. */
  subjobId: string | null;
  createdAt: Millis;
  /** When it last entered the queue; ordering within a priority. */
  enqueuedAt: Millis;
  /** Not runnable before this time (retry backoff). */
  runAfter: Millis;
  scheduledAt: Millis | null;
  startedAt: Millis | null;
  completedAt: Millis | null;
  failedAt: Millis | null;
}

export interface TaskLogPart {
  id: string;
  taskId: string;
  jobId: string;
  /** 1-based sequence number within the task. */
  number: number;
  contents: string;
  createdAt: Millis;
}

export type NodeStatus = 'UP' | 'DOWN' | 'OFFLINE';

export interface WorkerNode {
  id: string;
  name: string;
  hostname: string;
  version: string;
  /** The node's private queue (Tork's `x-<id>`). */
  privateQueue: string;
  queues: string[];
  status: NodeStatus;
  cpuPercent: number;
  maxTasks: number;
  capacityCpus: number;
  capacityMemoryBytes: number;
  labels: Record<string, string>;
  taskCount: number;
  startedAt: Millis;
  lastHeartbeatAt: Millis;
}

export interface QueueInfo {
  name: string;
  /** Tasks waiting in the queue. */
  size: number;
  /** Nodes up that serve it. */
  subscribers: number;
  /** Tasks handed to a node and not yet finished. */
  unacked: number;
}

export type ScheduleState = 'active' | 'paused';

export interface ScheduledJob {
  id: string;
  owner: string;
  name: string;
  description: string | null;
  cron: string;
  state: ScheduleState;
  tags: string[];
  definition: unknown;
  createdAt: Millis;
  nextRunAt: Millis | null;
  lastRunAt: Millis | null;
}

/** A page of results, 1-based. */
export interface Page<T> {
  items: T[];
  number: number;
  size: number;
  totalPages: number;
  totalItems: number;
}

export type { RunOutcome, RunSpec };
