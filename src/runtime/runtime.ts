/**
 * The interface every runtime implements (process sandbox today; container
 * engines and batch systems later). A runtime runs one task attempt: a list of
 * steps (pre tasks, the main step, post tasks) that share one private work area
 * and the task's mounts, limits and network setting.
 */

export interface RuntimeMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Host path for `bind`; unused otherwise. */
  source?: string;
  /** Path inside the sandbox. */
  target: string;
  readOnly?: boolean;
}

export interface RuntimeLimits {
  /** Fraction of CPUs, e.g. 0.5 or 2. Unset: no cpu limit. */
  cpus?: number;
  /** Bytes of memory. Unset: the runtime's default cap. */
  memoryBytes?: number;
  /** Maximum number of processes/threads. Unset: the runtime's default. */
  pids?: number;
}

export interface RuntimeStep {
  /** `pre`, `main` or `post`: pre and post steps log under their own name. */
  role: 'pre' | 'main' | 'post';
  name: string;
  /** Recorded, and resolved to a root file system where one is configured. */
  image?: string;
  /** A shell script; run as `entrypoint` (default `sh -c`) plus the script. */
  run?: string;
  cmd?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  /** Files written into the working directory before the step starts (name → contents). */
  files: Record<string, string>;
  /** Kill the step after this many milliseconds. Unset: no timeout. */
  timeoutMs?: number;
}

export interface RunRequest {
  taskId: string;
  attempt: number;
  steps: RuntimeStep[];
  mounts: RuntimeMount[];
  limits: RuntimeLimits;
  /** Give the task the host's network; otherwise it has none (only a loopback). */
  network: boolean;
  /** Working directory inside the sandbox; default the runtime's work dir. */
  workdir?: string;
}

export type StreamName = 'stdout' | 'stderr';

export interface RunHooks {
  /** Called once the first step's process exists (the task is running). */
  onStarted(info: { backendId: string }): void;
  /** One line of output (without its newline). Called in order per stream. */
  onLine(stream: StreamName, line: string): void;
  /** The task's progress in percent, as written to $TORK_PROGRESS. */
  onProgress?(percent: number): void;
}

export type RunEnd = 'exited' | 'timeout' | 'cancelled' | 'oom' | 'error';

export interface RunOutcome {
  /** How the task ended. `exited` with exitCode 0 is success. */
  end: RunEnd;
  exitCode: number | null;
  /** What the task wrote to its output file ($TORK_OUTPUT), capped. */
  output?: string;
  /** Human-readable reason for a failure, e.g. "exit code 1" or "timed out after 5s". */
  error?: string;
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
  /** Kills everything still running and releases host resources. */
  stop(): Promise<void>;
}
