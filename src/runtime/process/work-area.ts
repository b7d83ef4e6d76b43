/**
 * A task attempt's private work area on the host:
 *
 *   <workRoot>/<name>/          root's, group the task's, 0710: only the task user may pass; nobody lists or writes it
 *     tork/                     the task's /tork, owned by the task user
 *       workdir/                /tork/workdir, the default working directory
 *     volume-<n>/               one per `volume` mount, owned by the task user
 *     workdir/                  a working directory outside /tork and the volumes
 *     step-<n>/                 the unshare fallback's root and mount table for a step
 *
 * Names start with the owning Gantry process's pid, which tells the areas a
 * crashed Gantry left behind from those of a live one.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeNewFile, type Owner } from './task-files.js';
import { TORK_NAMES } from './tork-layout.js';

export interface WorkArea {
  name: string;
  dir: string;
  torkDir: string;
}

function makeDir(path: string, mode: number, owner: Owner | undefined): void {
  mkdirSync(path, { mode });
  if (owner) chownSync(path, owner.uid, owner.gid);
}

export function createWorkArea(workRoot: string, name: string, owner: Owner | undefined): WorkArea {
  const dir = join(workRoot, name);
  const torkDir = join(dir, 'tork');
  mkdirSync(dir, { mode: owner ? 0o710 : 0o700 });
  if (owner) chownSync(dir, process.getuid?.() ?? 0, owner.gid);
  makeDir(torkDir, 0o755, owner);
  makeDir(join(torkDir, TORK_NAMES.workdir), 0o755, owner);
  return { name, dir, torkDir };
}

/** The empty output and progress files of /tork, which the task may write. */
export function createTorkFiles(area: WorkArea, owner: Owner | undefined): void {
  for (const name of [TORK_NAMES.output, TORK_NAMES.progress]) writeNewFile(join(area.torkDir, name), '', 0o644, owner);
}

/** A directory of the area the task may write, e.g. `volume-0` or `workdir`. */
export function taskDir(area: WorkArea, name: string, owner: Owner | undefined): string {
  const path = join(area.dir, name);
  makeDir(path, 0o755, owner);
  return path;
}

/** A directory `relative` below `base`, made (for the task user) where missing; before any of the task has run. */
export function ensureTaskDir(base: string, relative: string, owner: Owner | undefined): string {
  let dir = base;
  for (const part of relative.split('/').filter(Boolean)) {
    dir = join(dir, part);
    try {
      makeDir(dir, 0o755, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return dir;
}

const DIR_MODE = 0o40755;
const FILE_MODE = 0o100644;

/**
 * Makes a used work area fresh again for another attempt, if the task left it
 * as it found it but for Tork's files: only `tork/` with the entrypoint, the
 * output and progress files and an empty `workdir/`, all with the modes and
 * owner Gantry gave them (the entrypoint, Gantry's own, is rewritten by the next
 * step, or removed if that step has no script). Cheaper than removing and making it again (directory
 * creation and removal are the costly calls on a journalled file system). False,
 * having changed nothing the task can see, when anything else is there: the area
 * is then removed.
 */
export function resetWorkArea(area: WorkArea, owner: Owner | undefined): boolean {
  const uid = owner?.uid ?? process.getuid?.() ?? 0;
  const isOwned = (stat: Stats, mode: number): boolean => stat.mode === mode && stat.uid === uid;
  try {
    if (readdirSync(area.dir).some((name) => name !== 'tork')) return false;
    const torkNames = readdirSync(area.torkDir);
    const allowed: string[] = [TORK_NAMES.entrypoint, TORK_NAMES.output, TORK_NAMES.progress, TORK_NAMES.workdir];
    if (!torkNames.includes(TORK_NAMES.workdir) || torkNames.some((name) => !allowed.includes(name))) return false;
    if (!isOwned(lstatSync(area.torkDir), DIR_MODE)) return false;
    const workdir = join(area.torkDir, TORK_NAMES.workdir);
    if (!isOwned(lstatSync(workdir), DIR_MODE) || readdirSync(workdir).length > 0) return false;
    for (const name of [TORK_NAMES.output, TORK_NAMES.progress]) {
      const path = join(area.torkDir, name);
      const stat = torkNames.includes(name) ? lstatSync(path) : undefined;
      // Untouched: kept. Written, replaced or linked: made anew.
      if (stat && stat.isFile() && stat.size === 0 && stat.nlink === 1 && isOwned(stat, FILE_MODE)) continue;
      if (stat) unlinkSync(path);
      writeNewFile(path, '', 0o644, owner);
    }
    return true;
  } catch {
    return false;
  }
}

/** What a work area holds when its task made nothing of its own: removed name by name, cheaper than a recursive walk. */
const USUAL = [`tork/${TORK_NAMES.entrypoint}`, `tork/${TORK_NAMES.output}`, `tork/${TORK_NAMES.progress}`];

export async function removeWorkArea(area: WorkArea): Promise<void> {
  try {
    for (const name of USUAL) {
      try {
        unlinkSync(join(area.dir, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    rmdirSync(join(area.torkDir, TORK_NAMES.workdir));
    rmdirSync(area.torkDir);
    rmdirSync(area.dir);
  } catch {
    // Something more (or else) is there: walk it.
    await rm(area.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Makes `workRoot` and checks that the task user can pass through it and every
 * directory above it (bubblewrap, already unprivileged, opens the work area by
 * path). Gantry's own `workRoot` and its data directory just above get search
 * permission for others (not read: nothing can be listed); any other directory
 * in the way is reported, not changed.
 */
export function prepareWorkRoot(workRoot: string, forOthers: boolean): string | undefined {
  mkdirSync(workRoot, { recursive: true, mode: 0o711 });
  if (!forOthers) return undefined;
  const ownDirs = [workRoot, dirname(workRoot)];
  for (let dir = workRoot; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o001) === 0) {
      if (!ownDirs.includes(dir)) return `the task user cannot pass through ${dir} (mode ${mode.toString(8)}) to reach the work root ${workRoot}: choose a work root below directories others may search`;
      chmodSync(dir, mode | 0o001);
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * Where work areas go unless configured: `<dataDir>/work`, or, when tasks run as
 * another user (Gantry runs as root) and a directory above the data directory
 * is closed to others (a checkout under /root, say), a directory of Gantry's
 * under the system temp directory, named for the data directory. `movedBecause`
 * says why, for the log.
 */
export function defaultWorkRoot(dataDir: string, forOthers: boolean): { workRoot: string; movedBecause?: string } {
  const inDataDir = join(dataDir, 'work');
  if (!forOthers) return { workRoot: inDataDir };
  // The data directory and its work root are Gantry's own: prepareWorkRoot opens them for searching.
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    let mode: number | undefined;
    try {
      mode = statSync(dir).mode & 0o777;
    } catch {
      // Not there yet: it will be made with the default mode.
    }
    if (mode !== undefined && (mode & 0o001) === 0) {
      const name = `gantry-work-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
      return { workRoot: join(tmpdir(), name), movedBecause: `the task user cannot pass through ${dir} (mode ${mode.toString(8)})` };
    }
    if (dir === dirname(dir)) return { workRoot: inDataDir };
  }
}

/** Removes work areas whose owning Gantry process is gone. */
export async function removeStaleAreas(workRoot: string, isStale: (name: string) => boolean): Promise<string[]> {
  let names: string[] = [];
  try {
    names = readdirSync(workRoot).filter(isStale);
  } catch {
    return [];
  }
  await Promise.all(names.map((name) => rm(join(workRoot, name), { recursive: true, force: true })));
  return names;
}
