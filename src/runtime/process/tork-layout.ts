/**
 * The layout Tork gives a task's container, which tasks written for Tork rely
 * on: a `/tork` directory holding the `run` script as `/tork/entrypoint`, the
 * output file `/tork/stdout` ($TORK_OUTPUT, whose contents become the task's
 * result), the progress file `/tork/progress` ($TORK_PROGRESS) and, when the task
 * has `files`, the working directory `/tork/workdir` they are written into.
 */
import { posix } from 'node:path';
import type { RunStep } from '../../core/run-spec.js';

export const TORK_DIR = '/tork';
export const ENTRYPOINT_FILE = '/tork/entrypoint';
export const OUTPUT_FILE = '/tork/stdout';
export const PROGRESS_FILE = '/tork/progress';
export const DEFAULT_WORKDIR = '/tork/workdir';

/** Names of those files inside the /tork directory. */
export const TORK_NAMES = { entrypoint: 'entrypoint', output: 'stdout', progress: 'progress', workdir: 'workdir' } as const;

/** Docker's default PATH, which images and Tork tasks expect. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The command of a step, combined as Tork does: the command is `cmd`, else the
 * entrypoint file; the entrypoint is `entrypoint`, else `sh -c` when the step
 * has a `run` script. So `run: x` runs `sh -c /tork/entrypoint`, and
 * `entrypoint: [python3]` with `run` runs the script with python3. Undefined when
 * the step has nothing to run (a container image would supply its own default;
 * a process sandbox has none).
 */
export function stepArgv(step: RunStep): string[] | undefined {
  const hasRun = step.run !== undefined && step.run !== '';
  const cmd = step.cmd?.length ? step.cmd : hasRun ? [ENTRYPOINT_FILE] : [];
  const entrypoint = step.entrypoint?.length ? step.entrypoint : hasRun ? ['sh', '-c'] : [];
  const argv = [...entrypoint, ...cmd];
  return argv.length > 0 ? argv : undefined;
}

/** The environment of a step: sane defaults, the step's own, then Tork's two files (as Tork appends them). */
export function stepEnv(step: RunStep): Record<string, string> {
  return {
    PATH: SANDBOX_PATH,
    HOME: '/tmp',
    LANG: 'C.UTF-8',
    ...step.env,
    TORK_OUTPUT: OUTPUT_FILE,
    TORK_PROGRESS: PROGRESS_FILE,
  };
}

/** Whether `path` is `dir` or lies below it (both absolute and normalised). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** Paths a mount or working directory may not cover: what the sandbox itself provides. */
const RESERVED = ['/proc', '/dev', '/sys', TORK_DIR];

/**
 * Checks a path inside the sandbox given by a task (a mount target or working
 * directory); returns it normalised, or a reason it is refused.
 */
export function checkSandboxPath(path: string, what: string, options: { allowTork?: boolean } = {}): { path: string } | { error: string } {
  if (!posix.isAbsolute(path)) return { error: `${what} "${path}" must be an absolute path` };
  // Control characters would corrupt the mount table the unshare fallback writes.
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return { error: `${what} "${JSON.stringify(path)}" contains control characters` };
  const normal = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (normal === '/') return { error: `${what} cannot be the root directory` };
  for (const reserved of RESERVED) {
    if (reserved === TORK_DIR && options.allowTork) continue;
    if (isWithin(normal, reserved)) return { error: `${what} "${path}" is reserved by the sandbox (${reserved})` };
  }
  return { path: normal };
}
