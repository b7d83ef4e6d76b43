import { TORK_DIR } from './tork-layout.js';
import type { SandboxSpec } from './sandbox-spec.js';

/**
 * bubblewrap arguments for one step. bubblewrap builds a fresh root (a tmpfs)
 * in new user, mount, pid, network, ipc, uts and cgroup namespaces, binds only
 * what is listed, pivots into it and runs the command under a small reaper as
 * pid 1: when the command exits, the kernel kills whatever is left in the pid
 * namespace, daemonised grandchildren included.
 */
export function bwrapArgs(spec: SandboxSpec, options: { disableUserns: boolean }): string[] {
  const args = [
    '--unshare-all',
    ...(spec.network || spec.netns ? ['--share-net'] : []),
    // The task may not make user namespaces of its own (and, in them, mounts and
    // namespaces); --unshare-user is implied for an unprivileged bubblewrap but
    // must be explicit for --disable-userns.
    ...(options.disableUserns ? ['--unshare-user', '--disable-userns'] : []),
    // If bubblewrap (or the launcher above it) dies, the sandbox dies with it.
    '--die-with-parent',
    // No controlling terminal to inject input into (TIOCSTI).
    '--new-session',
    '--clearenv',
    ...(spec.hostname ? ['--hostname', spec.hostname] : []),
  ];
  for (const [name, value] of Object.entries(spec.env)) args.push('--setenv', name, value);
  for (const entry of spec.root) {
    if (entry.kind === 'symlink') args.push('--symlink', entry.link, entry.target);
    else args.push('--ro-bind', entry.source, entry.target);
  }
  const size = spec.tmpfsBytes !== undefined ? ['--size', String(spec.tmpfsBytes)] : [];
  args.push('--proc', '/proc', '--dev', '/dev', ...size, '--tmpfs', '/tmp', '--bind', spec.torkDir, TORK_DIR);
  for (const bind of spec.binds) args.push(bind.readOnly ? '--ro-bind' : '--bind', bind.source, bind.target);
  for (const tmpfs of spec.tmpfs) args.push(...size, '--tmpfs', tmpfs.target);
  // Only /tmp, /tork and the task's own mounts stay writable.
  args.push('--remount-ro', '/', '--chdir', spec.workdir, '--', ...spec.argv);
  return args;
}
