import type { RootEntry } from './sandbox-host.js';

/** A host directory (or file) bound into the sandbox. */
export interface SandboxBind {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * Everything one sandboxed step needs, in host terms. Both sandboxes (bubblewrap
 * and the unshare fallback) build the same view from it:
 *
 * - `root` (the host's /usr and /etc pieces, or an image's root file system), read-only;
 * - a fresh /proc, a minimal /dev, a private tmpfs /tmp;
 * - `torkDir` at /tork, then `binds` and `tmpfs` in order;
 * - the sandbox root itself read-only.
 */
export interface SandboxSpec {
  /** Host directory bound at /tork (entrypoint, output and progress files, default work dir). */
  torkDir: string;
  root: RootEntry[];
  /** Volumes, allowed bind mounts and a dedicated working directory, in mount order. */
  binds: SandboxBind[];
  tmpfs: Array<{ target: string }>;
  /** Size cap of /tmp and of each tmpfs mount, in bytes (tmpfs memory is charged to the task's cgroup too). */
  tmpfsBytes?: number;
  network: boolean;
  /** A network namespace (path) to enter before the sandbox, which then keeps it (a group member's). */
  netns?: string;
  /** The sandbox's host name (bubblewrap only). */
  hostname?: string;
  workdir: string;
  /** The task's whole environment: nothing of Gantry's is inherited. */
  env: Record<string, string>;
  argv: string[];
  /** Host uid/gid to become before entering the sandbox (when Gantry runs as root). */
  runAs?: { uid: number; gid: number };
  /** The uid/gid the task has inside the unshare fallback (its host uid, mapped to itself). */
  innerIds: { uid: number; gid: number };
  /** cgroup.procs files the process joins before anything of the task runs. */
  cgroupProcs: string[];
  /** Limits applied with setrlimit where no cgroup can be used. */
  rlimits?: { addressSpaceBytes?: number; cpuSeconds?: number };
  /** unshare fallback only: run a small shell as pid 1 that waits for the task (the root must have the host's sh and env). */
  reaper?: boolean;
  /**
   * unshare fallback only: host paths of the (empty, root-owned) directory the
   * sandbox root is built on, and of the mount table written for it.
   */
  skeleton?: { rootDir: string; fstab: string };
}
