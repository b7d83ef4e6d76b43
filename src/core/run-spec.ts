/**
 * What a worker needs to run one task: the steps and their sandbox settings.
 * Built by the services when a task is queued, stored with the task, shipped to a
 * node inside an assignment, and handed to a runtime as is.
 */

export interface RunMount {
  /**
   * `gantry`: Gantry's own installation, read-only (what its own programs run
   * from, such as a workflow's pilot); the node decides where that is.
   */
  type: 'volume' | 'bind' | 'tmpfs' | 'gantry';
  /** Host path for `bind`; unused otherwise. */
  source?: string;
  /** Path inside the sandbox. */
  target: string;
  readOnly?: boolean;
}

export interface RunLimits {
  /** Fraction of CPUs, e.g. 0.5 or 2. Unset: no cpu limit. */
  cpus?: number;
  /** Bytes of memory. Unset: the runtime's default cap. */
  memoryBytes?: number;
  /** Maximum number of processes/threads. Unset: the runtime's default. */
  pids?: number;
}

export interface RunStep {
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

/**
 * A member of a group of tasks that share a private network of their own (the
 * services of one application): it has its own address there and finds the
 * others by the names in `hosts`. Nothing outside the group reaches it but the
 * ports in `expose`, which its node forwards from host ports it picks.
 */
export interface RunGroup {
  /** The group's id (the application's job id): members with the same id share a network. */
  id: string;
  hostname: string;
  address: string;
  hosts: Array<{ address: string; names: string[] }>;
  expose: Array<{ name: string; port: number; protocol: 'tcp' | 'udp' }>;
}

/** Where a group member's exposed ports are reached from, once it runs. */
export interface RunEndpoints {
  host: string;
  ports: Array<{ name: string; port: number; hostPort: number }>;
}

export interface RunSpec {
  steps: RunStep[];
  mounts: RunMount[];
  limits: RunLimits;
  /** Give the task the host's network; otherwise it has none (only a loopback). */
  network: boolean;
  /** A member of a group network (then `network` is ignored). */
  group?: RunGroup;
  /** Working directory inside the sandbox; default the runtime's work dir. */
  workdir?: string;
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
