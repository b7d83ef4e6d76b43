/**
 * cgroup v1 controllers for task attempts: one cgroup per attempt under
 * `/sys/fs/cgroup/<controller>/gantry/<name>` in the memory and pids hierarchies
 * (and cpu when the task asks for a cpu limit). The memory cgroup caps memory
 * (plus swap where accounted) and counts OOM kills; the pids cgroup caps the
 * number of processes, which RLIMIT_NPROC cannot do for root, and lists every
 * process of the attempt wherever it forked or daemonised to.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = '/sys/fs/cgroup';
const PARENT = 'gantry';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
const CPU_PERIOD_US = 100_000;

export type Controller = (typeof CONTROLLERS)[number];

/** Whether swap is accounted (memory.memsw.*), looked up once. */
let swapAccounted: boolean | undefined;
function hasMemsw(): boolean {
  swapAccounted ??= existsSync(join(ROOT, 'memory', PARENT, 'memory.memsw.limit_in_bytes'));
  return swapAccounted;
}

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
  /** Fraction of CPUs; unset: no cpu cgroup. */
  cpus?: number;
}

/**
 * Makes the `gantry` parent in each controller; false where cgroup v1 is not
 * there or not writable (not root, cgroup v2, read-only mount).
 */
export function prepareCgroupParents(): boolean {
  try {
    for (const controller of CONTROLLERS) {
      const dir = join(ROOT, controller, PARENT);
      mkdirSync(dir, { recursive: true });
      if (!existsSync(join(dir, 'cgroup.procs'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The cpu quota for a fraction of CPUs, per 100 ms period (the kernel's minimum is 1 ms). */
export function cpuQuotaUs(cpus: number): number {
  return Math.max(1_000, Math.round(cpus * CPU_PERIOD_US));
}

/**
 * One attempt's cgroups. Every process of the attempt is placed in them before
 * it runs any of the task's code. Once an attempt is over and they are empty,
 * cgroups with the default limits may serve a later attempt (see `reuse`):
 * making and removing memory cgroups is costly for the kernel.
 */
/** The kernel's clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

export class TaskCgroup {
  /** OOM kills counted before the current attempt (a reused cgroup keeps its counter). */
  private oomBaseline = 0;

  private constructor(
    readonly name: string,
    readonly dirs: Partial<Record<Controller, string>>,
  ) {}

  /** Creates the cgroups and writes the limits (asynchronously: cgroupfs calls can be slow). */
  static async create(name: string, limits: CgroupLimits): Promise<TaskCgroup> {
    const controllers: Controller[] = limits.cpus === undefined ? ['memory', 'pids'] : ['memory', 'pids', 'cpu'];
    const cgroup = new TaskCgroup(name, Object.fromEntries(controllers.map((c) => [c, join(ROOT, c, PARENT, name)])));
    try {
      await Promise.all(Object.values(cgroup.dirs).map((dir) => mkdir(dir)));
      const memory = cgroup.dirs.memory!;
      const writes = [
        // The kernel wants memory+swap ≥ memory: the memory limit goes first. With
        // swap accounting, capping memory+swap at the same value means no swap.
        writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes)).then(async () => {
          if (hasMemsw()) await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
        }),
        writeFile(join(cgroup.dirs.pids!, 'pids.max'), String(limits.pids)),
      ];
      if (limits.cpus !== undefined) {
        const cpu = cgroup.dirs.cpu!;
        writes.push(writeFile(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US)).then(() => writeFile(join(cpu, 'cpu.cfs_quota_us'), String(cpuQuotaUs(limits.cpus!)))));
      }
      await Promise.all(writes);
      return cgroup;
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
  }

  /** Opens an existing attempt's cgroups (to clean up after a crash). */
  static existing(name: string): TaskCgroup {
    const dirs = Object.fromEntries(CONTROLLERS.map((c) => [c, join(ROOT, c, PARENT, name)]).filter(([, dir]) => existsSync(dir!)));
    return new TaskCgroup(name, dirs);
  }

  /** The cgroup.procs files a process writes its pid into to join. */
  procsFiles(): string[] {
    return Object.values(this.dirs).map((dir) => join(dir, 'cgroup.procs'));
  }

  /** Host pids of every process in the attempt. */
  pids(): number[] {
    const dir = this.dirs.pids ?? this.dirs.memory;
    if (!dir) return [];
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /**
   * What the attempt uses now: its memory (the memory cgroup's usage) and the
   * cpu time its live processes have used (their utime + stime, in seconds).
   */
  usage(): { memoryBytes: number; cpuSeconds: number } {
    let memoryBytes = 0;
    try {
      if (this.dirs.memory) memoryBytes = Number(readFileSync(join(this.dirs.memory, 'memory.usage_in_bytes'), 'utf8'));
    } catch {
      // gone meanwhile
    }
    let ticks = 0;
    for (const pid of this.pids()) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command (which may hold spaces) start after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // exited meanwhile
      }
    }
    return { memoryBytes: Number.isFinite(memoryBytes) ? memoryBytes : 0, cpuSeconds: ticks / CLOCK_TICKS };
  }

  /** SIGKILL to every process of the attempt (daemonised grandchildren included); returns how many were signalled. */
  killAll(): number {
    let signalled = 0;
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
        signalled++;
      } catch {
        // exited meanwhile
      }
    }
    return signalled;
  }

  /**
   * Kills every process of the attempt and waits until the kernel has taken them
   * all out (at most `withinMs`); true when none is left. With a pid namespace the
   * sandbox's end has usually killed them already: then this is one read.
   */
  async killAndWait(withinMs = 2_000): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (this.killAll() > 0 || this.pids().length > 0) {
      if (Date.now() > deadline) return false;
      await sleep(5);
    }
    return true;
  }

  /** OOM kills so far; on kernels before 4.13, which have no kill counter, how often the limit was hit. */
  private oomCount(): number {
    const dir = this.dirs.memory;
    if (!dir) return 0;
    try {
      const kills = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8'));
      return Number(kills ? kills[1] : readFileSync(join(dir, 'memory.failcnt'), 'utf8'));
    } catch {
      return 0;
    }
  }

  /** Whether the kernel's OOM killer killed a process of this attempt. */
  oomKilled(): boolean {
    return this.oomCount() > this.oomBaseline;
  }

  /** Makes an emptied cgroup ready for another attempt (same limits): its OOM count starts afresh. */
  reuse(): this {
    this.oomBaseline = this.oomCount();
    return this;
  }

  /**
   * Removes the cgroups; a cgroup with processes cannot be removed, so whatever
   * is left is killed and the removal retried while the kernel reaps them.
   * Resolves false if they are still there after about two seconds.
   */
  async remove(): Promise<boolean> {
    // A warm template's cgroup holds one per sandbox: those go first.
    await Promise.allSettled(Object.values(this.dirs).flatMap((dir) => subdirectories(dir).map((sub) => rmdir(sub))));
    let dirs = Object.values(this.dirs);
    for (let round = 0; round < 100 && dirs.length > 0; round++) {
      const results = await Promise.allSettled(dirs.map((dir) => rmdir(dir)));
      dirs = dirs.filter((_dir, i) => {
        const result = results[i]!;
        return result.status === 'rejected' && (result.reason as NodeJS.ErrnoException).code !== 'ENOENT';
      });
      if (dirs.length === 0) break;
      this.killAll();
      await sleep(20);
    }
    return dirs.length === 0;
  }
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

/**
 * Removes the attempts' cgroups a Gantry process left when it was killed (their
 * processes are killed with them). Names start with the owner's pid: a cgroup is
 * stale when that process is gone.
 */
export async function removeStaleCgroups(isStale: (name: string) => boolean): Promise<string[]> {
  const names = new Set<string>();
  for (const controller of CONTROLLERS) {
    try {
      for (const entry of readdirSync(join(ROOT, controller, PARENT), { withFileTypes: true })) {
        if (entry.isDirectory() && isStale(entry.name)) names.add(entry.name);
      }
    } catch {
      // controller not there
    }
  }
  for (const name of names) await TaskCgroup.existing(name).remove();
  return [...names];
}
