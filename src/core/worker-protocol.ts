import type { RunEndpoints, RunOutcome, RunSpec } from './run-spec.js';

/**
 * The protocol between the server and a worker (node agent). The in-process
 * worker uses it through a direct implementation; a worker on another machine
 * uses the same calls over HTTP. A worker never touches the database.
 */

export interface NodeRegistration {
  name: string;
  hostname: string;
  version: string;
  queues: string[];
  maxTasks: number;
  capacityCpus: number;
  capacityMemoryBytes: number;
  labels: Record<string, string>;
}

export interface Assignment {
  taskId: string;
  jobId: string;
  attempt: number;
  spec: RunSpec;
}

export type WorkerMessage =
  | { type: 'run'; assignment: Assignment }
  | { type: 'cancel'; taskId: string; attempt: number };

/** What a node reports about a task attempt; `jobId` lets the server apply reports of different jobs side by side. */
export type TaskReport = { taskId: string; jobId: string; attempt: number; at: number } & (
  | { type: 'started'; backendId: string; endpoints?: RunEndpoints }
  | { type: 'log'; contents: string }
  | { type: 'progress'; percent: number }
  /** What the attempt used over the last sampling interval: cpu load (cores busy) and memory now. */
  | { type: 'usage'; cpuLoad: number; memoryBytes: number }
  | { type: 'finished'; outcome: RunOutcome }
);

export interface Heartbeat {
  cpuPercent: number;
  /** Task ids (with attempts) the node is running right now. */
  running: Array<{ taskId: string; attempt: number }>;
}

/** What a worker can ask of the server. */
export interface WorkerLink {
  register(registration: NodeRegistration): Promise<{ nodeId: string }>;
  heartbeat(nodeId: string, beat: Heartbeat): Promise<void>;
  /**
   * Waits up to `waitMs` for messages addressed to this node and returns them
   * (possibly none). At most `max` run messages are returned.
   */
  receive(nodeId: string, options: { max: number; waitMs: number; signal?: AbortSignal }): Promise<WorkerMessage[]>;
  /** Reports, in order; the server applies them as one batch. */
  report(nodeId: string, reports: TaskReport[]): Promise<void>;
  deregister(nodeId: string): Promise<void>;
}
