/**
 * CPU time from /proc (Linux): of this process, of child processes it started
 * (the PostgreSQL server, the runtime's launcher, with what they reaped) and of
 * the whole machine. On a 2-core machine a run is bound by CPU somewhere, and
 * wall time alone cannot say where; these readings can.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime. */
  ownSeconds: number;
  /** cutime + cstime: children it has waited for (for the launcher: the sandboxes). */
  reapedSeconds: number;
}

function stat(pid: number | 'self'): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    const ticks = (index: number): number => Number(fields[index]) / TICKS_PER_SECOND;
    return {
      pid: Number(text.slice(0, text.indexOf(' '))),
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf('(') + 1, close),
      ownSeconds: ticks(11) + ticks(12),
      reapedSeconds: ticks(13) + ticks(14),
    };
  } catch {
    return undefined; // gone
  }
}

function allStats(): Stat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => stat(Number(name)))
    .filter((s): s is Stat => s !== undefined);
}

/** CPU seconds so far of the PostgreSQL servers this process started (postmaster and its backends). */
function postgresSeconds(): number {
  const stats = allStats();
  const postmasters = new Set(stats.filter((s) => s.ppid === process.pid && s.comm === 'postgres').map((s) => s.pid));
  return stats.filter((s) => postmasters.has(s.pid) || postmasters.has(s.ppid)).reduce((sum, s) => sum + s.ownSeconds, 0);
}

/** Node child processes of this one (the runtime's launcher): their own CPU, and what they reaped. */
function nodeChildren(): { ownSeconds: number; reapedSeconds: number } {
  const children = allStats().filter((s) => s.ppid === process.pid && (s.comm === 'node' || s.comm.startsWith('node')));
  return {
    ownSeconds: children.reduce((sum, s) => sum + s.ownSeconds, 0),
    reapedSeconds: children.reduce((sum, s) => sum + s.reapedSeconds, 0),
  };
}

/**
 * Starts measuring the CPU of this process's descendants named `comm` (the
 * RabbitMQ node's `beam.smp`, PostgreSQL's `postgres`); the returned function
 * ends it and gives CPU seconds. Counted per process: one that ends meanwhile
 * (the backend of a pooled connection that idled out) is left out, where a
 * plain sum would lose all it ever used and could go negative.
 */
export function descendantsMeter(comm: string): () => number {
  const snapshot = (): Map<number, number> => {
    const stats = allStats();
    const children = new Map<number, number[]>();
    for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
    const byPid = new Map(stats.map((s) => [s.pid, s]));
    const seconds = new Map<number, number>();
    const visit = (pid: number): void => {
      for (const child of children.get(pid) ?? []) {
        const s = byPid.get(child)!;
        if (s.comm === comm) seconds.set(s.pid, s.ownSeconds);
        visit(child);
      }
    };
    visit(process.pid);
    return seconds;
  };
  const start = snapshot();
  return () => {
    let total = 0;
    for (const [pid, seconds] of snapshot()) total += seconds - (start.get(pid) ?? 0);
    return total;
  };
}

/** Busy CPU seconds of the whole machine (every core, every process, the kernel). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: everything but idle and iowait.
  const busy = fields.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return busy / TICKS_PER_SECOND;
}

/** This process's children that it has waited for (the sandboxes of the baseline loop). */
export function reapedSeconds(): number {
  return stat('self')?.reapedSeconds ?? 0;
}

export interface CpuReading {
  wallSeconds: number;
  /** This Node process, all its threads. */
  nodeSeconds: number;
  postgresSeconds: number;
  /** The launcher (a node child process) itself. */
  launcherSeconds: number;
  /** Processes the launcher started and reaped: the sandboxes. */
  sandboxSeconds: number;
  machineSeconds: number;
}

/** Starts a measurement; the returned function ends it. */
export function cpuMeter(): () => CpuReading {
  const wall = performance.now();
  const node = process.cpuUsage();
  const postgres = postgresSeconds();
  const launcher = nodeChildren();
  const machine = machineBusySeconds();
  return () => {
    const used = process.cpuUsage(node);
    const launcherNow = nodeChildren();
    return {
      wallSeconds: (performance.now() - wall) / 1000,
      nodeSeconds: (used.user + used.system) / 1e6,
      postgresSeconds: postgresSeconds() - postgres,
      launcherSeconds: launcherNow.ownSeconds - launcher.ownSeconds,
      sandboxSeconds: launcherNow.reapedSeconds - launcher.reapedSeconds,
      machineSeconds: machineBusySeconds() - machine,
    };
  };
}

/** `node 0.92 core, postgres 0.85 core`: average cores busy over the wall time. */
export function describeCpu(reading: CpuReading): string {
  const cores = (seconds: number): string => (seconds / reading.wallSeconds).toFixed(2);
  return `node ${cores(reading.nodeSeconds)} core, postgres ${cores(reading.postgresSeconds)} core`;
}
