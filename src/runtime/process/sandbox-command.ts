/**
 * The host command that starts one sandboxed step:
 *
 *   [sh: join the cgroups]  →  [prlimit]  →  [nsenter: a group's network]  →  [setpriv: become the task user]  →  bwrap | unshare
 *
 * each stage exec'ing the next in the same process, so the pid Gantry spawned is
 * the sandbox's outermost process. The cgroups are joined first, as root, so that
 * nothing of the task ever runs outside them (once unprivileged it could not
 * write cgroup.procs). The command is spawned with an empty environment: the
 * task's environment goes to the sandbox (bwrap --setenv, env -i), never to the
 * root-run stages, which a variable such as LD_PRELOAD could subvert.
 */
import { bwrapArgs } from './bwrap-args.js';
import type { SandboxHost } from './sandbox-host.js';
import type { SandboxSpec } from './sandbox-spec.js';
import { unshareArgv } from './unshare-args.js';

/** A command to spawn: `spawn(file, args, { env, cwd })`. */
export interface SandboxInvocation {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** `sh -c JOIN sh <cgroup.procs files…> -- <command…>`: writes its own pid into each, then execs the command. */
const JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/**
 * A waiting process: `sh -s -- <cgroup.procs files…>` reads its script from
 * stdin. The first line, given at once, joins the cgroups; the shell then waits
 * (as root, running nothing of the task) for its next line, `exec <command>`
 * (see launchLine), which arrives when the task does. Lets an attempt's process
 * be started, and its cgroups joined, before the task arrives.
 */
const WAIT_JOIN = 'for f; do echo $$ > "$f" || exit 125; done\n';

/** The command inside the cgroups: rlimits, privilege drop, sandbox. */
export function sandboxArgv(host: SandboxHost, spec: SandboxSpec): string[] {
  const sandbox = host.tool === 'bwrap' ? [host.bwrap!, ...bwrapArgs(spec, { disableUserns: host.bwrapDisablesUserns === true })] : unshareArgv(host, spec);
  const dropped = spec.runAs
    ? [host.setpriv!, `--reuid=${spec.runAs.uid}`, `--regid=${spec.runAs.gid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs', ...sandbox]
    : sandbox;
  const networked = spec.netns && host.nsenter ? [host.nsenter, `--net=${spec.netns}`, '--', ...dropped] : dropped;
  const limits: string[] = [];
  if (spec.rlimits?.addressSpaceBytes !== undefined) limits.push(`--as=${spec.rlimits.addressSpaceBytes}`);
  if (spec.rlimits?.cpuSeconds !== undefined) limits.push(`--cpu=${spec.rlimits.cpuSeconds}`);
  return limits.length > 0 && host.prlimit ? [host.prlimit, ...limits, '--', ...networked] : networked;
}

/**
 * The whole host command for one sandboxed step, exactly as the process runtime
 * spawns it (without a prepared process). A benchmark can spawn it directly to
 * measure the sandbox without Gantry around it.
 */
export function buildSandboxInvocation(host: SandboxHost, spec: SandboxSpec): SandboxInvocation {
  const argv = sandboxArgv(host, spec);
  if (spec.cgroupProcs.length === 0) return { file: argv[0]!, args: argv.slice(1), env: {}, cwd: '/' };
  return { file: host.sh, args: ['-c', JOIN, 'sh', ...spec.cgroupProcs, '--', ...argv], env: {}, cwd: '/' };
}

/** A process that joins `cgroupProcs` and waits for its command on stdin (`input` is its first line; see WAIT_JOIN). */
export function waitingInvocation(host: SandboxHost, cgroupProcs: string[]): SandboxInvocation & { input: string } {
  return { file: host.sh, args: ['-s', '--', ...cgroupProcs], env: {}, cwd: '/', input: WAIT_JOIN };
}

/** The line a waiting process gets last: `exec` of the sandbox command, quoted for sh, with stdin from /dev/null. */
export function launchLine(host: SandboxHost, spec: SandboxSpec): string {
  return `exec ${sandboxArgv(host, spec).map(shellQuote).join(' ')} </dev/null\n`;
}

export function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
