/**
 * A warm template's memory cgroup (cgroup v1), delegated to the template's
 * user: the template makes one child cgroup per sandbox in it, each capped at
 * the sandbox's memory, and the template's own cap bounds them all together.
 * Only where Gantry runs as root and cgroup v1 memory is writable.
 */
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareCgroupParents } from '../process/cgroups.js';

const MEMORY_ROOT = '/sys/fs/cgroup/memory/gantry';

export class WarmCgroup {
  private constructor(readonly dir: string) {}

  /** Makes the cgroup with its cap and hands it to `owner`; undefined where cgroups cannot be used. */
  static async create(name: string, limitBytes: number, owner: { uid: number; gid: number }): Promise<WarmCgroup | undefined> {
    if (!prepareCgroupParents()) return undefined;
    const dir = join(MEMORY_ROOT, name);
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      // The template makes and removes its sandboxes' cgroups here, and moves each sandbox into its own.
      for (const path of [dir, join(dir, 'cgroup.procs'), join(dir, 'tasks')]) chownSync(path, owner.uid, owner.gid);
      return new WarmCgroup(dir);
    } catch {
      await rmdir(dir).catch(() => undefined);
      return undefined;
    }
  }

  /** The file the template's first process writes its pid into, as root, before anything of it runs. */
  get procsFile(): string {
    return join(this.dir, 'cgroup.procs');
  }

  /** Removes what sandboxes of an earlier template left (their processes are gone with it). */
  async removeChildren(): Promise<void> {
    const children = (() => {
      try {
        return readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(this.dir, e.name));
      } catch {
        return [];
      }
    })();
    await Promise.allSettled(children.map((child) => rmdir(child)));
  }

  /** Removes the sandboxes' cgroups, then this one (its processes must be gone). */
  async remove(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      let children: string[] = [];
      try {
        children = readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(this.dir, e.name));
      } catch {
        return;
      }
      await Promise.allSettled(children.map((child) => rmdir(child)));
      try {
        await rmdir(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
