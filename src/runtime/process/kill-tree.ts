import type { TaskCgroup } from './cgroups.js';

/**
 * Kills a step's whole process tree, by three means that each cover what the
 * others might miss:
 *
 * - the spawned process's process group (the launcher starts each step in its
 *   own), which covers the stages before the sandbox exists;
 * - the spawned process itself, the sandbox's outermost process: the sandbox's
 *   pid 1 dies with it (--die-with-parent, --kill-child), and when a pid
 *   namespace's pid 1 dies the kernel kills everything left in it, daemonised
 *   (`setsid`, double-forked) grandchildren included;
 * - every process listed in the attempt's cgroup.
 *
 * Only pids this runtime started, or that are in its own cgroups, are signalled.
 */
export function killTree(pid: number | undefined, cgroup: TaskCgroup | undefined): void {
  if (pid !== undefined && pid > 1) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  cgroup?.killAll();
}
