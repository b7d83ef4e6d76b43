import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GantryError } from '../../core/errors.js';
import type { RunOutcome, RunStep } from '../../core/run-spec.js';
import type { RunHooks, RunRequest, Runtime } from '../runtime.js';
import { cgroupsV1Writable, removeStaleCgroups, TaskCgroup } from './cgroups.js';
import { LineBudget } from './line-splitter.js';
import { Launcher } from './launcher.js';
import type { ProcessRuntimeOptions } from './options.js';
import { DEFAULT_WORKDIR, hostCommand, OUTPUT_FILE, PROGRESS_FILE, TORK_DIR, type SandboxPlan } from './sandbox-command.js';

const SANDBOX_PATH = '/usr/bin:/usr/local/bin:/bin:/sbin:/usr/sbin';

function which(tool: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** argv of a step, as Tork builds it: `run` goes to the entrypoint (default `sh -c`). */
export function stepArgv(step: RunStep): string[] {
  if (step.run !== undefined) return [...(step.entrypoint?.length ? step.entrypoint : ['sh', '-c']), step.run];
  const argv = [...(step.entrypoint ?? []), ...(step.cmd ?? [])];
  if (argv.length === 0) return ['true'];
  return argv;
}

/** How many prepared work areas (with cgroups) are kept ready. */
const SPARES = 2;

interface Spare {
  area: string;
  cgroup: TaskCgroup | undefined;
}

interface Attempt {
  controller: AbortController;
  done: Promise<RunOutcome>;
}

/**
 * Runs each task attempt as sandboxed processes on this host: bubblewrap (or
 * unshare), an unprivileged uid when Gantry is root, cgroup limits, a timeout and
 * a kill of the whole tree on cancel. See docs/sandbox.md.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private sandbox: { tool: 'bwrap' | 'unshare'; path: string } | undefined;
  private cgroups = false;
  private readonly isRoot = process.getuid?.() === 0;
  private readonly attempts = new Map<string, Attempt>();
  private readonly launcher = new Launcher();
  private readonly spares: Spare[] = [];
  private spareCounter = 0;
  private refilling = false;
  private stopped = false;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  async start(): Promise<void> {
    const bwrap = this.options.sandbox !== 'unshare' ? which('bwrap') : undefined;
    const unshare = which('unshare');
    if (bwrap) this.sandbox = { tool: 'bwrap', path: bwrap };
    else if (this.options.sandbox === 'bwrap') throw new GantryError('unavailable', 'bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap) or set runtime.sandbox to unshare');
    else if (unshare) this.sandbox = { tool: 'unshare', path: unshare };
    else throw new GantryError('unavailable', 'neither bubblewrap (bwrap) nor util-linux unshare is installed: tasks cannot be sandboxed');
    if (this.isRoot && !which('setpriv')) throw new GantryError('unavailable', 'setpriv (util-linux) is needed to run tasks unprivileged when Gantry runs as root');
    this.cgroups = this.isRoot && cgroupsV1Writable();
    if (this.cgroups) await removeStaleCgroups();
    mkdirSync(this.options.workRoot, { recursive: true });
    if (this.isRoot) this.makeTraversable(this.options.workRoot);
    const said: string[] = [];
    const probe = await this.run(
      { taskId: 'probe', attempt: 0, steps: [{ role: 'main', name: 'probe', run: 'true', env: {}, files: {} }], mounts: [], limits: {}, network: false },
      { onStarted: () => undefined, onLine: (_stream, line) => said.push(line) },
      new AbortController().signal,
    );
    if (probe.end !== 'exited' || probe.exitCode !== 0) {
      const detail = said.length > 0 ? ` (${said.join('; ')})` : '';
      throw new GantryError('unavailable', `the ${this.sandbox.tool} sandbox does not work on this host: ${probe.error ?? probe.end}${detail}`);
    }
    this.options.logger?.debug({ sandbox: this.sandbox.tool, cgroups: this.cgroups }, 'process runtime ready');
  }

  async stop(): Promise<void> {
    for (const attempt of this.attempts.values()) attempt.controller.abort();
    await Promise.allSettled([...this.attempts.values()].map((a) => a.done));
    this.stopped = true;
    for (const spare of this.spares.splice(0)) {
      await spare.cgroup?.remove();
      rmSync(spare.area, { recursive: true, force: true });
    }
    this.launcher.stop();
  }

  run(request: RunRequest, hooks: RunHooks, signal: AbortSignal): Promise<RunOutcome> {
    // The pid prefix keeps several Gantry processes on one host apart and tells stale cgroups apart.
    const key = `${process.pid}-${request.taskId}-${request.attempt}`;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) controller.abort();
    const done = this.runAttempt(key, request, hooks, controller.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.attempts.delete(key);
    });
    this.attempts.set(key, { controller, done });
    return done;
  }

  /**
   * The unprivileged task user must be able to pass through the directories above
   * its work area (not list them): add search permission for others on the work
   * root and the data directory holding it.
   */
  private makeTraversable(workRoot: string): void {
    for (const dir of [workRoot, dirname(workRoot)]) {
      const mode = statSync(dir).mode & 0o777;
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    }
  }

  private makeArea(area: string): void {
    const torkDir = join(area, 'tork');
    mkdirSync(join(torkDir, 'workdir'), { recursive: true });
    for (const dir of [area, torkDir, join(torkDir, 'workdir')]) this.chown(dir);
  }

  /** A prepared work area and default-limit cgroups, if one is ready; starts preparing the next. */
  private takeSpare(): Spare | undefined {
    const spare = this.spares.pop();
    void this.refillSpares();
    return spare;
  }

  private async refillSpares(): Promise<void> {
    if (this.refilling || this.stopped || !this.sandbox) return;
    this.refilling = true;
    try {
      while (this.spares.length < SPARES && !this.stopped) {
        const name = `${process.pid}-spare${this.spareCounter++}`;
        const area = join(this.options.workRoot, name);
        this.makeArea(area);
        let cgroup: TaskCgroup | undefined;
        if (this.cgroups) {
          cgroup = new TaskCgroup(name);
          await cgroup.create({ memoryBytes: this.options.defaultMemoryBytes, pids: this.options.defaultPids });
        }
        if (this.stopped) {
          // stop() ran while this one was being made: it is nobody's to clean up but ours.
          await cgroup?.remove();
          rmSync(area, { recursive: true, force: true });
          return;
        }
        this.spares.push({ area, cgroup });
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'preparing a task work area failed');
    } finally {
      this.refilling = false;
    }
  }

  private chown(path: string): void {
    if (this.isRoot) chownSync(path, this.options.runAsUid ?? 65534, this.options.runAsGid ?? 65534);
  }

  private async runAttempt(key: string, request: RunRequest, hooks: RunHooks, signal: AbortSignal): Promise<RunOutcome> {
    const sandbox = this.sandbox;
    if (!sandbox) throw new GantryError('unavailable', 'the process runtime is not started');
    // A task with the default limits takes a work area and cgroups prepared ahead of
    // demand (off its start-up path); the next ones are prepared in the background.
    const defaults = request.limits.memoryBytes === undefined && request.limits.pids === undefined && request.limits.cpus === undefined;
    const prepared = defaults ? this.takeSpare() : undefined;
    const area = prepared?.area ?? join(this.options.workRoot, key);
    const torkDir = join(area, 'tork');
    const budget = new LineBudget(this.options.logLineCapBytes, this.options.logCapBytes, (stream, line) => hooks.onLine(stream, line));
    let cgroup: TaskCgroup | undefined = prepared?.cgroup;
    try {
      if (!prepared) this.makeArea(area);
      const volumes: SandboxPlan['volumes'] = [];
      const tmpfs: string[] = [];
      const binds: SandboxPlan['binds'] = [];
      for (const [index, mount] of request.mounts.entries()) {
        if (mount.type === 'volume') {
          const hostDir = join(area, `volume-${index}`);
          mkdirSync(hostDir);
          this.chown(hostDir);
          volumes.push({ hostDir, target: mount.target });
        } else if (mount.type === 'tmpfs') {
          tmpfs.push(mount.target);
        } else {
          if (!this.options.allowBindMounts) return { end: 'error', exitCode: null, error: 'bind mounts are not allowed (runtime.allowBindMounts is off)' };
          binds.push({ source: resolve(mount.source ?? ''), target: mount.target, readOnly: mount.readOnly === true });
        }
      }
      const memoryBytes = request.limits.memoryBytes ?? this.options.defaultMemoryBytes;
      if (this.cgroups && !prepared) {
        cgroup = new TaskCgroup(key);
        await cgroup.create({ memoryBytes, pids: request.limits.pids ?? this.options.defaultPids, cpus: request.limits.cpus });
      }
      let started = false;
      const noticed = new Set<string>();
      let outcome: RunOutcome = { end: 'exited', exitCode: 0 };
      for (const step of request.steps) {
        const image = step.image;
        const rootfs = image ? this.options.images[image] : undefined;
        if (image && !rootfs && !noticed.has(image)) {
          noticed.add(image);
          budget.line('stderr', `gantry: image ${image} has no root file system configured; the task runs on the host's userland`);
        }
        this.writeStepFiles(torkDir, step);
        const plan: SandboxPlan = {
          torkDir,
          volumes,
          tmpfs,
          binds,
          rootfs,
          network: request.network,
          workdir: request.workdir ?? DEFAULT_WORKDIR,
          dropTo: this.isRoot ? { uid: this.options.runAsUid ?? 65534, gid: this.options.runAsGid ?? 65534 } : undefined,
          cgroupProcs: cgroup?.procsFiles() ?? [],
          addressSpaceBytes: cgroup ? undefined : memoryBytes,
          argv: stepArgv(step),
        };
        const result = await this.runStep(plan, step, torkDir, budget, signal, cgroup, () => {
          if (!started) {
            started = true;
            return true;
          }
          return false;
        }, hooks);
        if (step.role === 'main') {
          outcome = { ...result, output: result.end === 'exited' && result.exitCode === 0 ? this.readOutput(torkDir) : undefined };
          const progress = this.readProgress(torkDir);
          if (progress !== undefined) hooks.onProgress?.(progress);
        }
        if (result.end !== 'exited' || result.exitCode !== 0) {
          return step.role === 'main' ? outcome : { ...result, error: `${step.role} task "${step.name}": ${result.error ?? result.end}` };
        }
      }
      return outcome;
    } finally {
      cgroup?.killAll();
      await cgroup?.remove();
      rmSync(area, { recursive: true, force: true });
    }
  }

  private writeStepFiles(torkDir: string, step: RunStep): void {
    for (const file of [OUTPUT_FILE, PROGRESS_FILE]) {
      const host = join(torkDir, file.slice(TORK_DIR.length + 1));
      writeFileSync(host, '');
      this.chown(host);
    }
    const workdir = join(torkDir, 'workdir');
    for (const [name, contents] of Object.entries(step.files)) {
      const host = join(workdir, name);
      mkdirSync(dirname(host), { recursive: true });
      writeFileSync(host, contents);
      this.chown(host);
    }
  }

  private readOutput(torkDir: string): string {
    const bytes = readFileSync(join(torkDir, 'stdout'));
    return bytes.subarray(0, this.options.outputCapBytes).toString('utf8');
  }

  private readProgress(torkDir: string): number | undefined {
    try {
      const text = readFileSync(join(torkDir, 'progress'), 'utf8').trim();
      const value = Number(text);
      return text !== '' && Number.isFinite(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private runStep(
    plan: SandboxPlan,
    step: RunStep,
    torkDir: string,
    budget: LineBudget,
    signal: AbortSignal,
    cgroup: TaskCgroup | undefined,
    firstStart: () => boolean,
    hooks: RunHooks,
  ): Promise<RunOutcome> {
    const command = hostCommand(plan, this.sandbox!, torkDir);
    const env = {
      PATH: SANDBOX_PATH,
      HOME: '/tmp',
      LANG: 'C.UTF-8',
      ...step.env,
      // unshare keeps the host's file system: there, /tork is the work area's host path.
      TORK_OUTPUT: this.sandbox!.tool === 'bwrap' ? OUTPUT_FILE : join(torkDir, 'stdout'),
      TORK_PROGRESS: this.sandbox!.tool === 'bwrap' ? PROGRESS_FILE : join(torkDir, 'progress'),
    };
    return new Promise<RunOutcome>((resolveOutcome) => {
      let pid: number | undefined;
      let reason: 'timeout' | 'cancelled' | undefined;
      let settled = false;
      const kill = (why: 'timeout' | 'cancelled'): void => {
        reason ??= why;
        try {
          if (pid !== undefined) process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
        cgroup?.killAll();
      };
      const onAbort = (): void => kill('cancelled');
      const finish = (outcome: RunOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolveOutcome(outcome);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = step.timeoutMs ? setTimeout(() => kill('timeout'), step.timeoutMs) : undefined;
      const out = budget.splitter('stdout');
      const err = budget.splitter('stderr');
      void this.launcher
        .launch(command.file, command.args, env, {
          onData: (stream, data) => (stream === 'stdout' ? out : err).write(data),
          onError: (message) => finish({ end: 'error', exitCode: null, error: `cannot start the sandbox: ${message}` }),
          onExit: (code, killedBy) => {
            out.end();
            err.end();
            // Whatever the step left behind (a daemonised grandchild) goes with it.
            cgroup?.killAll();
            if (reason === 'cancelled') return finish({ end: 'cancelled', exitCode: null, error: 'cancelled' });
            if (reason === 'timeout') return finish({ end: 'timeout', exitCode: null, error: `timed out after ${formatDuration(step.timeoutMs!)}` });
            if (code !== 0 && cgroup?.hitMemoryLimit()) {
              return finish({ end: 'oom', exitCode: code, error: 'killed: the task ran out of memory (memory limit reached)' });
            }
            if (code === 0) return finish({ end: 'exited', exitCode: 0 });
            if (code === null) return finish({ end: 'exited', exitCode: null, error: `killed by signal ${killedBy}` });
            finish({ end: 'exited', exitCode: code, error: `exit code ${code}` });
          },
        })
        .then((launched) => {
          pid = launched;
          if (pid === undefined) return;
          // The process exists (forked; exec under way): the task has started.
          if (firstStart()) hooks.onStarted({ backendId: String(pid) });
          if (signal.aborted || reason) kill(reason ?? 'cancelled');
        });
    });
  }
}
