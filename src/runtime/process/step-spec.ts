import { join } from 'node:path';
import type { RunStep } from '../../core/run-spec.js';
import { buildSandboxInvocation, type SandboxInvocation } from './sandbox-command.js';
import type { SandboxHost, RootEntry } from './sandbox-host.js';
import type { SandboxBind, SandboxSpec } from './sandbox-spec.js';
import type { Owner } from './task-files.js';
import { DEFAULT_WORKDIR, stepArgv, stepEnv } from './tork-layout.js';
import { prepareUnshareRoot } from './unshare-args.js';

export interface StepSpecInput {
  step: RunStep;
  argv: string[];
  /** Host directory bound at /tork. */
  torkDir: string;
  root: RootEntry[];
  workdir: string;
  binds: SandboxBind[];
  tmpfs: Array<{ target: string }>;
  network: boolean;
  netns?: string;
  hostname?: string;
  memoryBytes: number;
  cpus?: number;
  /** The task user when Gantry is root. */
  runAs?: Owner;
  /** The attempt's cgroup.procs files; none: limits by setrlimit. */
  cgroupProcs: string[];
  /** The root is the host's userland (not an image's): the unshare fallback can use the host's sh and env in it. */
  hostUserland: boolean;
  /** unshare fallback: a fresh directory of the area per step, for the root's mount points and mount table. */
  scratchDir?: string;
}

/** The sandbox of one step, as the process runtime runs it (for the unshare fallback, it also makes the root's mount points). */
export function makeStepSpec(host: SandboxHost, input: StepSpecInput): SandboxSpec {
  const spec: SandboxSpec = {
    torkDir: input.torkDir,
    root: input.root,
    binds: input.binds,
    tmpfs: input.tmpfs,
    // tmpfs pages count against the memory cgroup; without one this still bounds /tmp.
    tmpfsBytes: input.memoryBytes,
    network: input.network,
    netns: input.netns,
    hostname: input.hostname,
    workdir: input.workdir,
    env: stepEnv(input.step),
    argv: input.argv,
    runAs: input.runAs,
    innerIds: input.runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    cgroupProcs: input.cgroupProcs,
    reaper: input.hostUserland,
  };
  if (input.cgroupProcs.length === 0) {
    // setrlimit is per process. CPU time is a budget, not a rate: the share of the
    // step's timeout its cpu limit allows.
    const timeoutMs = input.step.timeoutMs;
    const cpuSeconds = input.cpus !== undefined && timeoutMs !== undefined ? Math.max(1, Math.ceil((input.cpus * timeoutMs) / 1000)) : undefined;
    spec.rlimits = { addressSpaceBytes: input.memoryBytes, cpuSeconds };
  }
  if (host.tool === 'unshare') {
    if (!input.scratchDir) throw new Error('the unshare sandbox needs a scratch directory per step');
    spec.skeleton = { rootDir: join(input.scratchDir, 'root'), fstab: join(input.scratchDir, 'fstab') };
    prepareUnshareRoot(spec);
  }
  return spec;
}

/**
 * The command the process runtime spawns for a simple step (no mounts, no
 * network, the default working directory, the host's userland), for a benchmark
 * to spawn the very same sandbox directly as its baseline. `torkDir` must exist
 * and be writable by `runAs`; `cgroupProcs` are the cgroup.procs files of
 * cgroups the benchmark made (see TaskCgroup), or none.
 */
export function simpleStepInvocation(
  host: SandboxHost,
  options: { step: RunStep; torkDir: string; memoryBytes: number; runAs?: Owner; cgroupProcs?: string[]; scratchDir?: string },
): SandboxInvocation {
  const argv = stepArgv(options.step);
  if (!argv) throw new Error('the step has nothing to run');
  const spec = makeStepSpec(host, {
    step: options.step,
    argv,
    torkDir: options.torkDir,
    root: host.userland,
    hostUserland: true,
    workdir: DEFAULT_WORKDIR,
    binds: [],
    tmpfs: [],
    network: false,
    memoryBytes: options.memoryBytes,
    runAs: options.runAs,
    cgroupProcs: options.cgroupProcs ?? [],
    scratchDir: options.scratchDir,
  });
  return buildSandboxInvocation(host, spec);
}
