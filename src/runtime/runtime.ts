/**
 * The interface every runtime implements (process sandbox today; container
 * engines and batch systems later). A runtime runs one task attempt: a list of
 * steps (pre tasks, the main step, post tasks) that share one private work area
 * and the task's mounts, limits and network setting. The step and outcome types
 * live in core (`run-spec.ts`) because they also travel inside worker assignments.
 */
import type { RunEndpoints, RunLimits, RunMount, RunOutcome, RunSpec, RunStep } from '../core/run-spec.js';

export type { RunEnd, RunOutcome } from '../core/run-spec.js';
export type RuntimeMount = RunMount;
export type RuntimeLimits = RunLimits;
export type RuntimeStep = RunStep;

export interface RunRequest extends RunSpec {
  taskId: string;
  attempt: number;
}

export type StreamName = 'stdout' | 'stderr';

export interface TaskUsage {
  taskId: string;
  attempt: number;
  /** Cpu time its processes have used so far, in seconds. */
  cpuSeconds: number;
  memoryBytes: number;
}

export interface RunHooks {
  /** Called once the first step's process exists (the task is running). */
  onStarted(info: { backendId: string; endpoints?: RunEndpoints }): void;
  /** One line of output (without its newline). Called in order per stream. */
  onLine(stream: StreamName, line: string): void;
  /** The task's progress in percent, as written to $TORK_PROGRESS. */
  onProgress?(percent: number): void;
}

export interface Runtime {
  readonly name: string;
  /** Checks that the runtime can work on this host; throws a clear error otherwise. */
  start(): Promise<void>;
  /**
   * Runs one attempt of a task to its end. Aborting `signal` kills the whole
   * process tree and resolves with `end: 'cancelled'`. Never rejects for a task's
   * own failure: that is an outcome.
   */
  run(request: RunRequest, hooks: RunHooks, signal: AbortSignal): Promise<RunOutcome>;
  /** What each running task attempt uses now, where the runtime can tell (cpu time so far, memory now). */
  usage?(): TaskUsage[];
  /** Kills everything still running and releases host resources. */
  stop(): Promise<void>;
}
