import { readdirSync, readFileSync } from 'node:fs';

/** One process as the host sees it in /proc. */
export interface HostProcess {
  pid: number;
  ppid: number;
  /** The Uid: line of /proc/<pid>/status: real, effective, saved, file system. */
  uids: number[];
  gids: number[];
  /** The Name: line (comm). */
  name: string;
  /** argv, split on NUL. */
  argv: string[];
}

function field(status: string, name: string): string {
  const line = status.split('\n').find((l) => l.startsWith(`${name}:`));
  return line === undefined ? '' : line.slice(name.length + 1).trim();
}

/** Every process of the host that could be read (processes may end while being read: those are left out). */
export function hostProcesses(): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
      found.push({
        pid: Number(entry),
        ppid: Number(field(status, 'PPid')),
        uids: field(status, 'Uid').split(/\s+/).map(Number),
        gids: field(status, 'Gid').split(/\s+/).map(Number),
        name: field(status, 'Name'),
        argv,
      });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The processes below `root` (not `root` itself): what this test process started, at any depth. */
export function descendantsOf(root: number, processes = hostProcesses()): HostProcess[] {
  const children = new Map<number, HostProcess[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: HostProcess[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return out;
}

/** The processes below `root` whose argv is exactly `argv`. */
export function findByArgv(root: number, argv: string[]): HostProcess[] {
  return descendantsOf(root).filter((p) => p.argv.length === argv.length && p.argv.every((arg, i) => arg === argv[i]));
}
