import { existsSync } from 'node:fs';

/** Paths inside the sandbox, as Tork lays out a task's container. */
export const TORK_DIR = '/tork';
export const DEFAULT_WORKDIR = '/tork/workdir';
export const OUTPUT_FILE = '/tork/stdout';
export const PROGRESS_FILE = '/tork/progress';

/** What one sandboxed step needs to know about its host side. */
export interface SandboxPlan {
  /** Host dir bound at /tork (entrypoint, output and progress files, work dir). */
  torkDir: string;
  /** Host dir per volume mount, bound at the mount's target. */
  volumes: Array<{ hostDir: string; target: string }>;
  tmpfs: string[];
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  /** Root file system for the step's image, when one is configured. */
  rootfs?: string;
  network: boolean;
  workdir: string;
  /** Host uid/gid to become before entering the sandbox (when Gantry runs as root). */
  dropTo?: { uid: number; gid: number };
  /** cgroup.procs files to join before anything of the task runs. */
  cgroupProcs: string[];
  /** RLIMIT_AS in bytes, used where cgroups cannot be. */
  addressSpaceBytes?: number;
  argv: string[];
}

/** Host files a shell and common tools need, bound read-only when present. */
const ETC_FILES = ['/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/localtime', '/etc/alternatives', '/etc/ssl', '/etc/ca-certificates'];
const NETWORK_ETC_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/host.conf', '/etc/gai.conf'];

function hostUserland(network: boolean): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  // Merged-/usr hosts have these as symlinks; older ones as directories.
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(dir)) continue;
    args.push('--ro-bind', dir, dir);
  }
  for (const file of [...ETC_FILES, ...(network ? NETWORK_ETC_FILES : [])]) args.push('--ro-bind-try', file, file);
  return args;
}

/** bubblewrap arguments for one step: a private, read-only world with /tork writable. */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const args = [
    '--unshare-all',
    ...(plan.network ? ['--share-net'] : []),
    '--die-with-parent',
    '--new-session',
    ...(plan.rootfs ? ['--ro-bind', plan.rootfs, '/'] : hostUserland(plan.network)),
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--bind', plan.torkDir, TORK_DIR,
  ];
  for (const volume of plan.volumes) args.push('--bind', volume.hostDir, volume.target);
  for (const target of plan.tmpfs) args.push('--tmpfs', target);
  for (const bind of plan.binds) args.push(bind.readOnly ? '--ro-bind' : '--bind', bind.source, bind.target);
  if (plan.workdir !== DEFAULT_WORKDIR) args.push('--dir', plan.workdir);
  // The sandbox's own root (where mount points were made) becomes read-only too:
  // only /tmp, /tork and the task's volumes and tmpfs mounts are writable.
  if (!plan.rootfs) args.push('--remount-ro', '/');
  args.push('--chdir', plan.workdir, '--', ...plan.argv);
  return args;
}

/**
 * util-linux `unshare` fallback: new user, mount, pid, net, ipc and uts
 * namespaces with a private /tmp. It cannot hide the host's file system the way
 * bubblewrap does (see docs/sandbox.md); the task still runs unprivileged, without
 * network, inside its cgroups.
 */
export function unshareArgs(plan: SandboxPlan, torkHostDir: string): string[] {
  const script = 'mount -t tmpfs tmpfs /tmp 2>/dev/null; cd "$GANTRY_WORKDIR" && exec "$@"';
  return [
    '--user', '--map-current-user', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--ipc', '--uts',
    ...(plan.network ? [] : ['--net']),
    'env', `GANTRY_WORKDIR=${plan.workdir === DEFAULT_WORKDIR ? `${torkHostDir}/workdir` : plan.workdir}`,
    'sh', '-c', script, 'sh', ...plan.argv,
  ];
}

/**
 * The full host command: join the cgroups (as root, before dropping privileges,
 * so nothing of the task runs outside them), apply rlimits, become the
 * unprivileged user, then enter the sandbox.
 */
export function hostCommand(plan: SandboxPlan, sandbox: { tool: 'bwrap' | 'unshare'; path: string }, torkHostDir: string): { file: string; args: string[] } {
  const inner = sandbox.tool === 'bwrap' ? [sandbox.path, ...bwrapArgs(plan)] : [sandbox.path, ...unshareArgs(plan, torkHostDir)];
  const dropped = plan.dropTo
    ? ['setpriv', `--reuid=${plan.dropTo.uid}`, `--regid=${plan.dropTo.gid}`, '--clear-groups', '--inh-caps=-all', ...inner]
    : inner;
  const limited = plan.addressSpaceBytes ? ['prlimit', `--as=${plan.addressSpaceBytes}`, '--', ...dropped] : dropped;
  if (plan.cgroupProcs.length === 0) return { file: limited[0]!, args: limited.slice(1) };
  // `sh` writes its own pid into each cgroup, then execs: the pid (and every child) stays inside.
  const join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
  return { file: '/bin/sh', args: ['-c', join, 'sh', ...plan.cgroupProcs, '--', ...limited] };
}
