import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
const PARENT = 'gantry';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
const HAS_MEMSW = existsSync(join(ROOT, 'memory', 'memory.memsw.limit_in_bytes'));
type Controller = (typeof CONTROLLERS)[number];

/** Whether v1 controllers can be created here (root on a host with them mounted writable). */
export function cgroupsV1Writable(): boolean {
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

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
  cpus?: number;
}

/**
 * One task attempt's cgroups (v1: memory, pids, cpu). The process joins them
 * before it runs anything (see `procsFiles`), so every descendant is counted
 * and can be killed through them.
 */
export class TaskCgroup {
  readonly dirs: Record<Controller, string>;

  constructor(name: string) {
    this.dirs = {
      memory: join(ROOT, 'memory', PARENT, name),
      pids: join(ROOT, 'pids', PARENT, name),
      cpu: join(ROOT, 'cpu', PARENT, name),
    };
  }

  /** Asynchronous: cgroupfs directory operations are slow, and must not stall the event loop. */
  async create(limits: CgroupLimits): Promise<void> {
    await Promise.all(Object.values(this.dirs).map((dir) => mkdir(dir, { recursive: true })));
    const memory = String(limits.memoryBytes);
    const writes = [
      // Without swap accounting a task could page out past its limit; cap swap too where
      // present. The kernel wants memory+swap ≥ memory, so the memory limit goes first.
      writeFile(join(this.dirs.memory, 'memory.limit_in_bytes'), memory).then(() =>
        HAS_MEMSW ? writeFile(join(this.dirs.memory, 'memory.memsw.limit_in_bytes'), memory) : undefined,
      ),
      writeFile(join(this.dirs.pids, 'pids.max'), String(limits.pids)),
    ];
    if (limits.cpus !== undefined) {
      const period = 100_000;
      writes.push(
        writeFile(join(this.dirs.cpu, 'cpu.cfs_period_us'), String(period)).then(() =>
          writeFile(join(this.dirs.cpu, 'cpu.cfs_quota_us'), String(Math.max(1_000, Math.round(limits.cpus! * period)))),
        ),
      );
    }
    await Promise.all(writes);
  }

  /** The files a process writes its pid to, to join every controller. */
  procsFiles(): string[] {
    return Object.values(this.dirs).map((dir) => join(dir, 'cgroup.procs'));
  }

  pids(): number[] {
    try {
      return readFileSync(join(this.dirs.pids, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILL to every process still in the cgroup (daemonised grandchildren included). */
  killAll(): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Whether the memory limit was hit (the kernel's OOM killer acted in this cgroup). */
  hitMemoryLimit(): boolean {
    try {
      const control = readFileSync(join(this.dirs.memory, 'memory.oom_control'), 'utf8');
      const kills = /oom_kill (\d+)/.exec(control);
      if (kills) return Number(kills[1]) > 0;
      return Number(readFileSync(join(this.dirs.memory, 'memory.failcnt'), 'utf8')) > 0;
    } catch {
      return false;
    }
  }

  /** Removes the cgroups once empty; retries briefly while the kernel reaps the last processes. */
  async remove(): Promise<void> {
    let dirs = Object.values(this.dirs);
    for (let attempt = 0; attempt < 50 && dirs.length > 0; attempt++) {
      const results = await Promise.allSettled(dirs.map((dir) => rmdir(dir)));
      dirs = dirs.filter((_dir, i) => {
        const result = results[i]!;
        return result.status === 'rejected' && (result.reason as NodeJS.ErrnoException).code !== 'ENOENT';
      });
      if (dirs.length === 0) return;
      this.killAll();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes cgroups left by a Gantry process that was killed (their processes are
 * killed with them). Cgroup names start with the owning process's pid.
 */
export async function removeStaleCgroups(): Promise<void> {
  for (const controller of CONTROLLERS) {
    const parent = join(ROOT, controller, PARENT);
    let names: string[] = [];
    try {
      names = readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = Number(name.split('-')[0]);
      if (Number.isInteger(owner) && owner !== process.pid && !alive(owner)) await new TaskCgroup(name).remove();
    }
  }
}
