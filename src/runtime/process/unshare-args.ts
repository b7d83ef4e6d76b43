/**
 * The fallback sandbox without bubblewrap, from util-linux alone. Two user
 * namespaces:
 *
 * 1. `unshare --user --map-root-user --mount --ipc --uts [--net]`: root of its
 *    own namespace (still the unprivileged uid on the host), a small shell mounts
 *    the sandbox root with one `mount -a` over a mount table Gantry wrote: the
 *    root-owned skeleton directory bound read-only, the userland read-only, /tmp,
 *    /tork and the task's mounts; it brings the loopback up.
 * 2. `env -i <task env> unshare --user --map-user --map-group --mount --pid
 *    --fork --kill-child --mount-proc --root --wd`: a nested user namespace in
 *    which the task is its ordinary uid with no capabilities, chrooted into that
 *    root (a chrooted process may not make user namespaces, so it cannot undo
 *    the chroot), with a fresh /proc of its own pid namespace and a small shell
 *    as pid 1 that waits for it.
 */
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SandboxHost } from './sandbox-host.js';
import type { SandboxSpec } from './sandbox-spec.js';
import { TORK_DIR } from './tork-layout.js';

/** Device nodes bound from the host into the sandbox's /dev (as bubblewrap's --dev does). */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEV_LINKS: Array<[string, string]> = [
  ['/proc/self/fd', 'fd'],
  ['/proc/self/fd/0', 'stdin'],
  ['/proc/self/fd/1', 'stdout'],
  ['/proc/self/fd/2', 'stderr'],
];

/** Stage 1's shell. Positional parameters: mount, fstab, ip (or empty), then stage 2's command. */
const SETUP = '"$1" --fstab "$2" -a || exit 125; [ -z "$3" ] || "$3" link set lo up 2>/dev/null; shift 3; exec "$@"';

/**
 * Stage 2's pid 1 on the host's userland: runs the task as its child and passes
 * its status on, so the task is not pid 1, which ignores signals it has no
 * handler for (`kill $$`). sh starts a background command with SIGINT and SIGQUIT
 * ignored; `env --default-signal` gives them back.
 */
const REAPER = '"$@" & wait $!';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return true;
  }
}

/** util-linux's fstab escapes: whitespace and backslashes as octal. */
function fstabPath(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * Makes the mount points of the sandbox root under `skeleton.rootDir` (on the
 * host, as root, before anything of the task runs) and writes the mount table.
 */
export function prepareUnshareRoot(spec: SandboxSpec): void {
  const skeleton = spec.skeleton!;
  const root = skeleton.rootDir;
  const at = (target: string): string => join(root, target);
  const mountPoint = (target: string, file: boolean): void => {
    mkdirSync(file ? dirname(at(target)) : at(target), { recursive: true });
    if (file) writeFileSync(at(target), '');
  };
  const lines = [`${fstabPath(root)} ${fstabPath(root)} none bind,ro 0 0`];
  const bind = (source: string, target: string, options: string): void => {
    lines.push(`${fstabPath(source)} ${fstabPath(at(target))} none ${options} 0 0`);
  };
  for (const entry of spec.root) {
    if (entry.kind === 'symlink') {
      mkdirSync(dirname(at(entry.target)), { recursive: true });
      symlinkSync(entry.link, at(entry.target));
    } else {
      mountPoint(entry.target, entry.file);
      bind(entry.source, entry.target, 'bind,ro');
    }
  }
  for (const dir of ['/proc', '/tmp', TORK_DIR, '/dev/shm']) mountPoint(dir, false);
  for (const device of DEVICES) {
    mountPoint(`/dev/${device}`, true);
    bind(`/dev/${device}`, `/dev/${device}`, 'bind');
  }
  for (const [link, name] of DEV_LINKS) symlinkSync(link, at(`/dev/${name}`));
  const size = spec.tmpfsBytes !== undefined ? `,size=${spec.tmpfsBytes}` : '';
  lines.push(`tmpfs ${fstabPath(at('/tmp'))} tmpfs mode=1777${size} 0 0`, `tmpfs ${fstabPath(at('/dev/shm'))} tmpfs mode=1777${size} 0 0`);
  bind(spec.torkDir, TORK_DIR, 'bind');
  // Task mounts get mount points in the skeleton; those inside /tmp or another
  // tmpfs are made there at mount time (X-mount.mkdir), after that tmpfs is mounted.
  for (const b of spec.binds) {
    const file = !isDirectory(b.source);
    mountPoint(b.target, file);
    bind(b.source, b.target, `bind${file ? '' : ',X-mount.mkdir'}${b.readOnly ? ',ro' : ''}`);
  }
  for (const t of spec.tmpfs) {
    mountPoint(t.target, false);
    lines.push(`tmpfs ${fstabPath(at(t.target))} tmpfs mode=1777,X-mount.mkdir${size} 0 0`);
  }
  writeFileSync(skeleton.fstab, `${lines.join('\n')}\n`, { mode: 0o644 });
}

/** The unshare command (stage 1, which execs stage 2) for one step. */
export function unshareArgv(host: SandboxHost, spec: SandboxSpec): string[] {
  const skeleton = spec.skeleton!;
  const env = Object.entries(spec.env).map(([name, value]) => `${name}=${value}`);
  const stage2 = [
    // The task's environment from here on; unshare looks the command up in the task's PATH, inside its root.
    host.env!,
    '-i',
    '--',
    ...env,
    host.unshare!,
    '--user',
    `--map-user=${spec.innerIds.uid}`,
    `--map-group=${spec.innerIds.gid}`,
    '--mount',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    `--root=${skeleton.rootDir}`,
    `--wd=${spec.workdir}`,
    '--',
    // In an image's root (which may lack sh or GNU env) the task is pid 1, as in a container.
    ...(spec.reaper ? [host.sh, '-c', REAPER, 'sh', host.env!, '--default-signal=INT,QUIT', '--'] : []),
    ...spec.argv,
  ];
  return [
    host.unshare!,
    '--user',
    '--map-root-user',
    '--mount',
    '--ipc',
    '--uts',
    ...(spec.network ? [] : ['--net']),
    '--',
    host.sh,
    '-c',
    SETUP,
    'sh',
    host.mount!,
    skeleton.fstab,
    spec.network ? '' : (host.ip ?? ''),
    ...stage2,
  ];
}
