/** Settings of the process runtime. */
export interface ProcessRuntimeOptions {
  /** Host directory under which each task attempt gets a private work area (removed after the run). */
  workRoot: string;
  /** `auto`: bubblewrap when installed, else util-linux unshare. */
  sandbox: 'auto' | 'bwrap' | 'unshare';
  /** Host uid/gid tasks run as when Gantry runs as root. Default 65534 (nobody). */
  runAsUid?: number;
  runAsGid?: number;
  /** Memory cap in bytes when a task sets none. */
  defaultMemoryBytes: number;
  /** Most processes a task may have at once. */
  defaultPids: number;
  /** Bytes of $TORK_OUTPUT kept. */
  outputCapBytes: number;
  /** Longest log line kept, in bytes; longer lines are cut and marked. */
  logLineCapBytes: number;
  /** Bytes of log kept per attempt; later lines are dropped and the log says so once. */
  logCapBytes: number;
  /** Image name → root file system directory. */
  images: Record<string, string>;
  /** Allow `bind` mounts of host paths. Default false. */
  allowBindMounts: boolean;
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/** The runtime settings of the configuration (`runtime.*`) as the process runtime's options. */
export function processRuntimeOptions(
  settings: Omit<ProcessRuntimeOptions, 'workRoot' | 'logger'>,
  workRoot: string,
  logger?: ProcessRuntimeOptions['logger'],
): ProcessRuntimeOptions {
  return { ...settings, workRoot, logger };
}
