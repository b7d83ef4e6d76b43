import type { AttemptPlan } from './attempt-plan.js';
import type { TaskCgroup } from './cgroups.js';
import type { Prepared } from './prepared-pool.js';
import type { RootCatalog } from './root-catalog.js';
import type { SandboxBind } from './sandbox-spec.js';
import type { Owner } from './task-files.js';
import { ensureTaskDir, taskDir, type WorkArea } from './work-area.js';

/** Where an attempt's steps run: its area, cgroups and mounts, made once and shared by its steps. */
export interface AttemptSite {
  area: WorkArea;
  cgroup?: TaskCgroup;
  /** The attempt has the default limits (its cgroups may serve later attempts). */
  defaultLimits: boolean;
  prepared?: Prepared;
  binds: SandboxBind[];
  tmpfs: Array<{ target: string }>;
  /** Host directory of the working directory, where `files` go. */
  workdirHost?: string;
  /** The working directory's own directory, bound at it (when it is not in /tork or a volume). */
  workdirBind?: SandboxBind;
}

/**
 * Lays an attempt's mounts and working directory out in its area: a directory
 * per volume, and the working directory's host side. Steps' images decide
 * whether a working directory outside /tork and the volumes already exists.
 */
export function layOutSite(site: AttemptSite, plan: AttemptPlan, images: Array<string | undefined>, roots: RootCatalog, owner: Owner | undefined): void {
  const volumeDirs: string[] = [];
  for (const [index, mount] of plan.mounts.entries()) {
    if (mount.type === 'tmpfs') {
      site.tmpfs.push({ target: mount.target });
      continue;
    }
    const source = mount.type === 'volume' ? taskDir(site.area, `volume-${index}`, owner) : mount.source!;
    volumeDirs[index] = source;
    site.binds.push({ source, target: mount.target, readOnly: mount.readOnly });
  }
  const within = plan.workdirIn;
  if (within.kind === 'tork') site.workdirHost = ensureTaskDir(site.area.torkDir, within.relative, owner);
  else if (within.kind === 'volume') site.workdirHost = ensureTaskDir(volumeDirs[within.index]!, within.relative, owner);
  else if (plan.hasFiles || !images.every((image) => roots.hasDirectory(image, plan.workdir))) {
    // Elsewhere the root is read-only: the working directory gets a writable directory of its own.
    site.workdirHost = taskDir(site.area, 'workdir', owner);
    site.workdirBind = { source: site.workdirHost, target: plan.workdir, readOnly: false };
  }
}
