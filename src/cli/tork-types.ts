/**
 * The parts of the Tork API's JSON that the CLI reads. Tork leaves empty fields
 * out (Go's omitempty), so almost everything is optional.
 */

/** A job as listed by `GET /jobs` and answered by `POST /jobs`. */
export interface JobSummary {
  id: string;
  name?: string;
  state: string;
  createdAt?: string;
  startedAt?: string;
  completedAt?: string;
  failedAt?: string;
  position?: number;
  taskCount?: number;
  result?: string;
  error?: string;
}

/** One task execution inside a job (`execution` of `GET /jobs/{id}`). */
export interface TaskExecution {
  id: string;
  name?: string;
  state?: string;
  position?: number;
  createdAt?: string;
  startedAt?: string;
  completedAt?: string;
  failedAt?: string;
  error?: string;
}

/** The full job of `GET /jobs/{id}`. */
export interface Job extends JobSummary {
  description?: string;
  execution: TaskExecution[];
}

/** Tork's paging envelope. */
export interface Page<T> {
  items: T[];
  number: number;
  size: number;
  totalPages: number;
  totalItems?: number;
}

/** A chunk of a task's output. */
export interface LogPart {
  id: string;
  number?: number;
  taskId?: string;
  contents: string;
  createdAt?: string;
}

/** A worker as listed by `GET /nodes`. */
export interface Node {
  id: string;
  name?: string;
  hostname?: string;
  status?: string;
  cpuPercent?: number;
  taskCount?: number;
  lastHeartbeatAt?: string;
  startedAt?: string;
  queue?: string;
  version?: string;
}

/** A broker queue as listed by `GET /queues`. */
export interface QueueInfo {
  name: string;
  size: number;
  subscribers: number;
  unacked: number;
}

/** Job states after which nothing more happens. */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
