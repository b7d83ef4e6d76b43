/** Where the runtime reports what it cannot do itself (a pino logger fits). */
export interface RuntimeLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** The sandbox tools, when they are not found on PATH. */
export interface SandboxToolPaths {
  bwrap?: string;
  unshare?: string;
  setpriv?: string;
  prlimit?: string;
  mount?: string;
}

/** Settings of the process runtime. Only `workRoot` is required. */
export interface ProcessRuntimeOptions {
  /**
   * Host directory under which each task attempt gets its private work area
   * (`<workRoot>/<owner pid>-<n>-<task>-<attempt>`), removed after the run. Created
   * if missing. When Gantry runs as root the task user must be able to pass
   * through it and its parents (search permission for others).
   */
  workRoot: string;
  /** Which sandbox to use. `auto` (default): bubblewrap when installed, else util-linux unshare. */
  sandbox?: 'auto' | 'bwrap' | 'unshare';
  /** Host uid tasks run as when Gantry runs as root (ignored otherwise). Default 65534 (nobody). */
  runAsUid?: number;
  /** Host gid tasks run as when Gantry runs as root (ignored otherwise). Default 65534 (nogroup). */
  runAsGid?: number;
  /** Memory cap in bytes for a task that sets none. Default 2 GiB. */
  defaultMemoryBytes?: number;
  /** Most processes (threads included) a task may have at once when it sets none. Default 256. */
  defaultPids?: number;
  /** Bytes of $TORK_OUTPUT kept as the task's result; the rest is dropped. Default 64 KiB. */
  outputCapBytes?: number;
  /** Longest log line kept, in bytes; longer lines are cut and marked. Default 16 KiB. */
  logLineCapBytes?: number;
  /** Bytes of log kept per task attempt; later lines are dropped and one final line says so. Default 8 MiB. */
  logCapBytes?: number;
  /** Image name → root file system directory used instead of the host's userland. Default none. */
  images?: Record<string, string>;
  /** Allow `bind` mounts of host paths. Default false: a bind mount fails the task with a clear error. */
  allowBindMounts?: boolean;
  /**
   * Attempts prepared ahead of demand (work area, cgroups and, where cgroups are
   * used, a started process waiting in them for its command), taken by tasks that
   * use the default limits. Default 4; 0 turns it off.
   */
  prepareAhead?: number;
  /** How often the progress file is read while a step runs, in milliseconds. Default 10 000 (Tork's rate); 0: only at the end. */
  progressPollMs?: number;
  /** Paths of the sandbox tools where they are not on the search path. Default: looked up there. */
  toolPaths?: SandboxToolPaths;
  /** Directories (`:`-separated, as PATH) where the sandbox tools are looked up. Default the usual system directories. */
  toolSearchPath?: string;
  /** Address the host ports of application services' exposed ports listen on. Default 127.0.0.1. */
  exposeAddress?: string;
  /** Host name endpoints of exposed ports name (what users connect to). Default the expose address. */
  exposeHost?: string;
  /** Where warnings (no cgroups, a cleanup that failed) and debug notes go. Default: nowhere. */
  logger?: RuntimeLogger;
}

/** The options with every default applied. */
export type ResolvedOptions = Required<Omit<ProcessRuntimeOptions, 'logger' | 'toolPaths'>> & Pick<ProcessRuntimeOptions, 'logger' | 'toolPaths'>;

export const NOBODY = 65534;

export function resolveOptions(options: ProcessRuntimeOptions): ResolvedOptions {
  return {
    sandbox: 'auto',
    runAsUid: NOBODY,
    runAsGid: NOBODY,
    defaultMemoryBytes: 2 * 1024 ** 3,
    defaultPids: 256,
    outputCapBytes: 64 * 1024,
    logLineCapBytes: 16 * 1024,
    logCapBytes: 8 * 1024 ** 2,
    images: {},
    allowBindMounts: false,
    prepareAhead: 4,
    progressPollMs: 10_000,
    toolSearchPath: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    exposeAddress: '127.0.0.1',
    exposeHost: options.exposeAddress ?? '127.0.0.1',
    ...withoutUndefined(options),
    workRoot: options.workRoot,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The runtime settings of the configuration (`runtime.*`) as the process
 * runtime's options, with the work root to use (the configured one or the default).
 */
export function processRuntimeOptions(
  settings: Omit<ProcessRuntimeOptions, 'logger' | 'workRoot'> & { workRoot?: string },
  workRoot: string,
  logger?: RuntimeLogger,
  toolSearchPath?: string,
): ProcessRuntimeOptions {
  return { ...settings, workRoot, logger, toolSearchPath };
}
