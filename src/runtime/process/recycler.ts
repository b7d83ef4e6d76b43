import type { TaskCgroup } from './cgroups.js';
import type { Owner } from './task-files.js';
import { removeWorkArea, resetWorkArea, type WorkArea } from './work-area.js';

/**
 * Work areas and cgroups of finished attempts, kept for later ones. Making and
 * removing directories is the costly part of an attempt's set-up on a
 * journalled file system, and making and removing memory cgroups is costly for
 * the kernel; a finished attempt's area that its task left clean (see
 * resetWorkArea) and its emptied cgroups with the default limits serve the next
 * attempt as well as new ones. At most `capacity` of each are kept.
 */
export class Recycler {
  private readonly areas: WorkArea[] = [];
  private readonly cgroups: TaskCgroup[] = [];
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly owner: Owner | undefined,
  ) {}

  /** A fresh work area (with Tork's empty output and progress files), if one is kept. */
  takeArea(): WorkArea | undefined {
    return this.areas.pop();
  }

  /** An empty cgroup with the default limits, if one is kept. */
  takeCgroup(): TaskCgroup | undefined {
    return this.cgroups.pop()?.reuse();
  }

  /** Keeps the area if there is room and it could be made fresh; false: the caller removes it. */
  keepArea(area: WorkArea): boolean {
    if (this.closed || this.areas.length >= this.capacity || !resetWorkArea(area, this.owner)) return false;
    this.areas.push(area);
    return true;
  }

  /** Keeps an emptied cgroup with the default limits if there is room; false: the caller removes it. */
  keepCgroup(cgroup: TaskCgroup): boolean {
    if (this.closed || this.cgroups.length >= this.capacity) return false;
    this.cgroups.push(cgroup);
    return true;
  }

  /** Removes everything kept, and keeps nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.cgroups.splice(0).map((cgroup) => cgroup.remove()), ...this.areas.splice(0).map((area) => removeWorkArea(area))]);
  }
}
