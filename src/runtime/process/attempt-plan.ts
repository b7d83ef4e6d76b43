import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRequest } from '../runtime.js';
import { checkSandboxPath, DEFAULT_WORKDIR, isWithin, stepArgv, TORK_DIR } from './tork-layout.js';

export interface PlannedMount {
  type: 'volume' | 'bind' | 'tmpfs';
  target: string;
  /** Host path of a bind mount. */
  source?: string;
  readOnly: boolean;
}

/** Gantry's installation on this node, which `gantry` mounts show (read-only). */
const GANTRY_HOME = fileURLToPath(new URL('../../../', import.meta.url));

/** What an attempt needs, checked before anything is made on the host. */
export interface AttemptPlan {
  steps: Array<{ argv: string[] }>;
  mounts: PlannedMount[];
  workdir: string;
  /** Where the working directory lives: in /tork, in a volume (by index), or elsewhere. */
  workdirIn: { kind: 'tork'; relative: string } | { kind: 'volume'; index: number; relative: string } | { kind: 'other' };
  hasFiles: boolean;
  /** Images of the steps that have no root file system configured here. */
  imagesWithoutRoot: string[];
}

/**
 * Checks an attempt's request (commands, mounts, working directory) and works
 * out its layout; returns the reason it cannot run otherwise.
 */
export function planAttempt(request: RunRequest, settings: { allowBindMounts: boolean; images: Record<string, string> }): AttemptPlan | { error: string } {
  if (request.steps.length === 0) return { error: 'the task has no steps' };
  const steps: AttemptPlan['steps'] = [];
  for (const step of request.steps) {
    const argv = stepArgv(step);
    if (!argv) return { error: `${step.role === 'main' ? 'the task' : `${step.role} task "${step.name}"`} has nothing to run (no run, cmd or entrypoint)` };
    steps.push({ argv });
  }
  const mounts: PlannedMount[] = [];
  for (const mount of request.mounts) {
    const checked = checkSandboxPath(mount.target, `${mount.type} mount target`);
    if ('error' in checked) return checked;
    if (mount.type === 'bind') {
      if (!settings.allowBindMounts) return { error: `bind mounts are not allowed on this node (runtime.allowBindMounts is off): cannot mount ${mount.source ?? '?'} at ${mount.target}` };
      if (!mount.source || !posix.isAbsolute(mount.source)) return { error: `bind mount source "${mount.source ?? ''}" must be an absolute host path` };
      mounts.push({ type: 'bind', target: checked.path, source: posix.normalize(mount.source), readOnly: mount.readOnly === true });
    } else if (mount.type === 'gantry') {
      mounts.push({ type: 'bind', target: checked.path, source: GANTRY_HOME, readOnly: true });
    } else {
      mounts.push({ type: mount.type, target: checked.path, readOnly: mount.type === 'volume' && mount.readOnly === true });
    }
  }
  const checkedWorkdir = checkSandboxPath(request.workdir ?? DEFAULT_WORKDIR, 'working directory', { allowTork: true });
  if ('error' in checkedWorkdir) return checkedWorkdir;
  const workdir = checkedWorkdir.path;
  let workdirIn: AttemptPlan['workdirIn'] = { kind: 'other' };
  if (isWithin(workdir, TORK_DIR)) {
    workdirIn = { kind: 'tork', relative: posix.relative(TORK_DIR, workdir) };
  } else {
    // The last mount covering the working directory is the one it is on.
    for (let index = mounts.length - 1; index >= 0; index--) {
      const mount = mounts[index]!;
      if (!isWithin(workdir, mount.target)) continue;
      if (mount.type === 'volume' && !mount.readOnly) workdirIn = { kind: 'volume', index, relative: posix.relative(mount.target, workdir) };
      break;
    }
  }
  const imagesWithoutRoot = [...new Set(request.steps.map((s) => s.image).filter((image): image is string => !!image && !settings.images[image]))];
  return { steps, mounts, workdir, workdirIn, hasFiles: request.steps.some((s) => Object.keys(s.files).length > 0), imagesWithoutRoot };
}
