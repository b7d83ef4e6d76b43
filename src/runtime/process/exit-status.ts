import { constants } from 'node:os';
import type { RunOutcome } from '../../core/run-spec.js';

/** How a step's process ended, as the runtime saw it. */
export interface StepEnd {
  code: number | null;
  signal: string | null;
  /** Gantry ended it. */
  stoppedFor?: 'timeout' | 'cancelled';
  timeoutMs?: number;
  /** It could not be started. */
  launchError?: string;
  /** The kernel's OOM killer acted in the attempt's memory cgroup. */
  oomKilled: boolean;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** A duration as Tork-style text: `5s`, `1m30s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
}

/**
 * The outcome of one step. A sandbox reports a command killed by signal N the
 * way shells do, as exit status 128+N (bubblewrap's pid 1 cannot pass the
 * signal on): such a status is reported as that signal, naming the status too,
 * since a command that itself exits with 128+N looks the same.
 */
export function stepOutcome(end: StepEnd): RunOutcome {
  if (end.launchError !== undefined) return { end: 'error', exitCode: null, error: `cannot start the sandbox: ${end.launchError}` };
  if (end.stoppedFor === 'cancelled') return { end: 'cancelled', exitCode: null, error: 'cancelled' };
  if (end.stoppedFor === 'timeout') return { end: 'timeout', exitCode: null, error: `timed out after ${formatDuration(end.timeoutMs ?? 0)}` };
  if (end.code === 0) return { end: 'exited', exitCode: 0 };
  if (end.oomKilled) {
    return { end: 'oom', exitCode: end.code, error: 'out of memory: the task was killed at its memory limit' };
  }
  if (end.code === null) return { end: 'exited', exitCode: null, error: `killed by signal ${end.signal ?? 'unknown'}` };
  const signal = end.code > 128 ? SIGNAL_NAMES.get(end.code - 128) : undefined;
  if (signal) return { end: 'exited', exitCode: null, error: `killed by signal ${signal} (exit status ${end.code})` };
  return { end: 'exited', exitCode: end.code, error: `exit code ${end.code}` };
}
