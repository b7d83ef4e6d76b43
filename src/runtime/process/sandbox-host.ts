/**
 * What this host offers a sandbox, looked up once at start: the tools, how its
 * userland is laid out (merged-/usr symlinks or real directories) and which of
 * the /etc files a shell needs exist. Building a task's command then needs no
 * file system call.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SandboxToolPaths } from './options.js';

export type SandboxTool = 'bwrap' | 'unshare';

/** A piece of a root file system: a read-only bind of a host path, or a symlink. */
export type RootEntry = { kind: 'ro-bind'; source: string; target: string; file: boolean } | { kind: 'symlink'; link: string; target: string };

export interface SandboxHost {
  tool: SandboxTool;
  /** Absolute paths of the programs used. */
  bwrap?: string;
  /** bubblewrap ≥ 0.8 can forbid the task its own user namespaces (--disable-userns). */
  bwrapDisablesUserns?: boolean;
  unshare?: string;
  setpriv?: string;
  prlimit?: string;
  mount?: string;
  /** util-linux nsenter, to enter a group's network namespace; optional. */
  nsenter?: string;
  /** `ip`, to bring the loopback up in the unshare fallback's network namespace; optional. */
  ip?: string;
  /** `env`, which gives the task its environment in the unshare fallback. */
  env?: string;
  sh: string;
  /** The host's userland (/usr, the /bin and /lib* links or dirs, /etc pieces), always present. */
  userland: RootEntry[];
  /** /etc files added when the task has the network. */
  networkEtc: RootEntry[];
}

/** /etc pieces a shell and common tools need, bound read-only where present. */
const ETC = [
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/localtime',
  '/etc/os-release',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
];
const NETWORK_ETC = ['/etc/resolv.conf', '/etc/host.conf', '/etc/gai.conf'];
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * How a host path is reproduced in a sandbox root. With `keepLinks`, a relative
 * symlink stays a symlink (merged /usr: `bin -> usr/bin` works inside as is);
 * otherwise what a link points at is bound, since its target (`/etc/localtime ->
 * /usr/share/zoneinfo/…`, `resolv.conf -> ../run/…`) may not exist in the sandbox.
 */
export function rootEntry(hostPath: string, target: string, keepLinks: boolean): RootEntry | undefined {
  let stat;
  try {
    stat = lstatSync(hostPath);
    if (stat.isSymbolicLink()) {
      const link = readlinkSync(hostPath);
      if (keepLinks && !link.startsWith('/')) return { kind: 'symlink', link, target };
      stat = statSync(hostPath);
    }
  } catch {
    // missing, or a dangling link
    return undefined;
  }
  return { kind: 'ro-bind', source: hostPath, target, file: !stat.isDirectory() };
}

/** The host userland as root entries: /usr, the top-level links or dirs, the /etc pieces. */
function hostUserland(): RootEntry[] {
  const entries: RootEntry[] = [{ kind: 'ro-bind', source: '/usr', target: '/usr', file: false }];
  for (const path of TOP_LEVEL) {
    const entry = rootEntry(path, path, true);
    if (entry) entries.push(entry);
  }
  for (const path of ETC) {
    const entry = rootEntry(path, path, false);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The root entries of an image's root file system: each top-level entry of the
 * directory, read-only, except what the sandbox mounts itself. Relative and
 * absolute symlinks both stay symlinks: inside the image they resolve in the image.
 */
export function imageRoot(rootfs: string): RootEntry[] {
  const entries: RootEntry[] = [];
  for (const name of readdirSync(rootfs)) {
    if (['proc', 'dev', 'sys', 'tmp', 'tork'].includes(name)) continue;
    const source = join(rootfs, name);
    const stat = lstatSync(source);
    if (stat.isSymbolicLink()) entries.push({ kind: 'symlink', link: readlinkSync(source), target: `/${name}` });
    else entries.push({ kind: 'ro-bind', source, target: `/${name}`, file: !stat.isDirectory() });
  }
  return entries;
}

/** Looks up the tools for the wanted sandbox; returns why not when they are missing. */
export function detectSandboxHost(
  wanted: 'auto' | 'bwrap' | 'unshare',
  options: { dropPrivileges: boolean; toolPaths?: SandboxToolPaths; searchPath: string },
): SandboxHost | { error: string } {
  const paths = options.toolPaths ?? {};
  const lookUp = (name: string): string | undefined => findOnPath(name, options.searchPath);
  const tool = (name: keyof SandboxToolPaths): string | undefined => (paths[name] !== undefined ? executable(paths[name]!) : lookUp(name));
  const bwrap = wanted === 'unshare' ? undefined : tool('bwrap');
  const unshare = tool('unshare');
  let chosen: SandboxTool;
  if (bwrap) chosen = 'bwrap';
  else if (wanted === 'bwrap') return { error: 'bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap) or set runtime.sandbox to unshare' };
  else if (unshare) chosen = 'unshare';
  else return { error: 'neither bubblewrap (bwrap) nor util-linux unshare is installed: tasks cannot be sandboxed (apt-get install bubblewrap)' };
  const setpriv = tool('setpriv');
  if (options.dropPrivileges && !setpriv) return { error: 'setpriv (util-linux) is needed to run tasks unprivileged while Gantry runs as root' };
  const host: SandboxHost = {
    tool: chosen,
    bwrap,
    unshare,
    setpriv,
    prlimit: tool('prlimit'),
    nsenter: lookUp('nsenter'),
    sh: executable('/bin/sh') ?? lookUp('sh') ?? '/bin/sh',
    userland: hostUserland(),
    networkEtc: NETWORK_ETC.map((path) => rootEntry(path, path, false)).filter((entry): entry is RootEntry => entry !== undefined),
  };
  if (chosen === 'bwrap') host.bwrapDisablesUserns = spawnSync(bwrap!, ['--help'], { encoding: 'utf8' }).stdout?.includes('--disable-userns') === true;
  if (chosen === 'unshare') {
    host.mount = tool('mount');
    host.env = lookUp('env');
    host.ip = lookUp('ip');
    if (!host.mount || !host.env) return { error: 'the unshare sandbox needs util-linux mount and coreutils env' };
  }
  return host;
}

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}
