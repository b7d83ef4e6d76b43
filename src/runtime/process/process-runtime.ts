import { join } from 'node:path';
import { GantryError } from '../../core/errors.js';
import type { RunOutcome, RunStep } from '../../core/run-spec.js';
import type { RunHooks, RunRequest, Runtime, TaskUsage } from '../runtime.js';
import { planAttempt, type AttemptPlan } from './attempt-plan.js';
import { layOutSite, type AttemptSite } from './attempt-site.js';
import { prepareCgroupParents, removeStaleCgroups, TaskCgroup, type CgroupLimits } from './cgroups.js';
import { stepOutcome } from './exit-status.js';
import { Launcher, type LaunchHandlers } from './launcher.js';
import { LineBudget, utf8Prefix } from './line-splitter.js';
import { resolveOptions, type ProcessRuntimeOptions, type ResolvedOptions } from './options.js';
import { PreparedPool, type Prepared } from './prepared-pool.js';
import { RootCatalog } from './root-catalog.js';
import { buildSandboxInvocation, launchLine, waitingInvocation } from './sandbox-command.js';
import { detectSandboxHost, type RootEntry, type SandboxHost } from './sandbox-host.js';
import type { SandboxSpec } from './sandbox-spec.js';
import { runStepProcess } from './step-process.js';
import { makeStepSpec } from './step-spec.js';
import { clearPath, readCapped, placeOwnFile, writeTaskFiles, type Owner } from './task-files.js';
import { TORK_NAMES } from './tork-layout.js';
import { createTorkFiles, createWorkArea, prepareWorkRoot, removeStaleAreas, removeWorkArea, taskDir, type WorkArea } from './work-area.js';
import { Recycler } from './recycler.js';
import { processAlive } from './process-alive.js';
import { GroupNetworks, type GroupMembership } from '../network/group-networks.js';

/** Most bytes of the progress file read. */
const PROGRESS_CAP = 64;

interface Attempt {
  controller: AbortController;
  done: Promise<RunOutcome>;
}


/** Names of areas and cgroups start with the owning Gantry's pid: stale when that process is gone. */
function staleName(name: string): boolean {
  const owner = Number(name.split('-')[0]);
  return Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner);
}

/** Runtimes made in this process, for names unique across them (cgroups are host-wide). */
let instances = 0;

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64);
}

/**
 * Runs each task attempt as sandboxed processes on this host: bubblewrap (or
 * util-linux unshare), an unprivileged uid when Gantry is root, cgroup v1
 * limits, per-step timeouts and a kill of the whole tree on cancel. See
 * docs/sandbox.md.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly options: ResolvedOptions;
  private readonly isRoot = process.getuid?.() === 0;
  /** The task user, who owns what the task may write (only when Gantry is root). */
  private readonly owner: Owner | undefined;
  private host: SandboxHost | undefined;
  private roots: RootCatalog | undefined;
  private cgroups = false;
  private pool: PreparedPool | undefined;
  private readonly launcher = new Launcher();
  private readonly attempts = new Map<string, Attempt>();
  private readonly cleanups = new Set<Promise<void>>();
  private readonly recycler: Recycler;
  private sequence = 0;
  private readonly instance = ++instances;
  private stopped = false;
  private readonly networks: GroupNetworks;
  /** Attempts running now with their cgroups, for `usage`. */
  private readonly sites = new Map<string, { taskId: string; attempt: number; site: AttemptSite }>();

  constructor(options: ProcessRuntimeOptions) {
    this.options = resolveOptions(options);
    this.owner = this.isRoot ? { uid: this.options.runAsUid, gid: this.options.runAsGid } : undefined;
    this.networks = new GroupNetworks({
      stateDir: join(this.options.workRoot, 'networks'),
      exposeAddress: this.options.exposeAddress,
      exposeHost: this.options.exposeHost,
      toolSearchPath: this.options.toolSearchPath,
      runAs: this.owner,
      runner: (file, args) => this.runCommand(file, args),
    });
    this.recycler = new Recycler(Math.max(8, 2 * this.options.prepareAhead), this.owner);
  }

  async start(): Promise<void> {
    const host = detectSandboxHost(this.options.sandbox, { dropPrivileges: this.isRoot, toolPaths: this.options.toolPaths, searchPath: this.options.toolSearchPath });
    if ('error' in host) throw new GantryError('unavailable', host.error);
    this.cgroups = this.isRoot && prepareCgroupParents();
    const logger = this.options.logger;
    if (!this.cgroups) {
      logger?.warn(
        { prlimit: host.prlimit !== undefined },
        'no writable cgroup v1 controllers: memory is capped with RLIMIT_AS (when prlimit is installed), processes and cpu are not limited, OOM kills are not recognised',
      );
    }
    if (this.cgroups) await removeStaleCgroups(staleName);
    const reason = prepareWorkRoot(this.options.workRoot, this.isRoot);
    if (reason) throw new GantryError('unavailable', reason);
    await removeStaleAreas(this.options.workRoot, staleName);
    await this.networks.start();
    if (this.networks.unavailableReason) logger?.debug({ reason: this.networks.unavailableReason }, 'no private application networks on this node');
    this.host = host;
    this.roots = new RootCatalog(host, this.options.images);
    // A trivial task through the real path: the sandbox works here, or start fails saying why.
    const said: string[] = [];
    const probe = await this.run(
      { taskId: 'probe', attempt: 0, steps: [{ role: 'main', name: 'probe', run: 'true', env: {}, files: {} }], mounts: [], limits: {}, network: false },
      { onStarted: () => undefined, onLine: (_stream, line) => said.push(line) },
      new AbortController().signal,
    );
    if (probe.end !== 'exited' || probe.exitCode !== 0) {
      this.host = undefined;
      const detail = said.length > 0 ? `: ${said.join('; ')}` : '';
      throw new GantryError('unavailable', `the ${host.tool} sandbox does not work on this host (${probe.error ?? probe.end})${detail}`);
    }
    this.pool = new PreparedPool(this.options.prepareAhead, () => this.prepare(), (prepared) => this.discard(prepared), logger);
    this.pool.fill();
    logger?.debug({ sandbox: host.tool, cgroups: this.cgroups }, 'process runtime ready');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const attempt of this.attempts.values()) attempt.controller.abort();
    await Promise.allSettled([...this.attempts.values()].map((a) => a.done));
    await this.pool?.stop();
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups]);
    await this.recycler.close();
    await this.networks.stop();
    this.launcher.stop();
  }

  run(request: RunRequest, hooks: RunHooks, signal: AbortSignal): Promise<RunOutcome> {
    if (!this.host || this.stopped) return Promise.reject(new GantryError('unavailable', 'the process runtime is not running'));
    // The owner's pid first: tells a crashed Gantry's leftovers from a live one's.
    const name = `${this.uniqueName()}-${safeName(request.taskId)}-${request.attempt}`;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) controller.abort();
    const done = this.runAttempt(name, request, hooks, controller.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.attempts.delete(name);
    });
    this.attempts.set(name, { controller, done });
    return done;
  }

  usage(): TaskUsage[] {
    const out: TaskUsage[] = [];
    for (const { taskId, attempt, site } of this.sites.values()) {
      if (!site.cgroup) continue;
      out.push({ taskId, attempt, ...site.cgroup.usage() });
    }
    return out;
  }

  /** Runs a host command through the launcher, to its end (the group networks' `ip`). */
  private runCommand(file: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let stderr = '';
      void this.launcher.launch(
        { file, args, env: {}, cwd: '/' },
        {
          onData: (stream, data) => {
            if (stream === 'stderr' && stderr.length < 4096) stderr += data.toString('utf8');
          },
          onExit: (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `exit code ${code}`))),
          onError: (message) => reject(new Error(message)),
        },
      );
    });
  }

  /** A name unique on this host: this process's pid first (see staleName), then this runtime and a sequence number. */
  private uniqueName(): string {
    return `${process.pid}-${this.instance}.${++this.sequence}`;
  }

  private limitsOf(limits: RunRequest['limits']): CgroupLimits {
    return {
      memoryBytes: limits.memoryBytes ?? this.options.defaultMemoryBytes,
      pids: limits.pids ?? this.options.defaultPids,
      cpus: limits.cpus,
    };
  }

  private usesDefaultLimits(request: RunRequest): boolean {
    const { memoryBytes, pids, cpus } = request.limits;
    return (memoryBytes ?? this.options.defaultMemoryBytes) === this.options.defaultMemoryBytes && (pids ?? this.options.defaultPids) === this.options.defaultPids && cpus === undefined;
  }

  /** An attempt made ready ahead (see PreparedPool). */
  private async prepare(): Promise<Prepared> {
    const prepared: Prepared = { area: this.freshArea(`${this.uniqueName()}-ready`) };
    try {
      if (!this.cgroups) return prepared;
      prepared.cgroup = await this.defaultCgroup();
      const waiter: NonNullable<Prepared['waiter']> = { process: undefined!, gone: false, released: false };
      const idle: LaunchHandlers = { onData: () => undefined, onError: () => (waiter.gone = true), onExit: () => (waiter.gone = true) };
      waiter.process = await this.launcher.launch(waitingInvocation(this.host!, prepared.cgroup.procsFiles()), idle, { hold: true });
      if (waiter.process.pid === undefined) throw new Error('the waiting process could not be started');
      prepared.waiter = waiter;
      return prepared;
    } catch (error) {
      await this.discard(prepared);
      throw error;
    }
  }

  /** A work area with Tork's empty output and progress files: a recycled one, or a new one. */
  private freshArea(name: string): WorkArea {
    const recycled = this.recycler.takeArea();
    if (recycled) return recycled;
    const area = createWorkArea(this.options.workRoot, name, this.owner);
    createTorkFiles(area, this.owner);
    return area;
  }

  /** Cgroups with the default limits: recycled ones, or new ones. */
  private async defaultCgroup(): Promise<TaskCgroup> {
    return this.recycler.takeCgroup() ?? (await TaskCgroup.create(`${this.uniqueName()}-cg`, this.limitsOf({})));
  }

  /** Ends a prepared attempt's waiting process unless it was put to work. */
  private endWaiter(prepared: Prepared | undefined): void {
    const waiter = prepared?.waiter;
    if (!waiter || waiter.gone || waiter.released || waiter.process.pid === undefined) return;
    try {
      process.kill(waiter.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private async discard(prepared: Prepared): Promise<void> {
    this.endWaiter(prepared);
    await prepared.cgroup?.remove();
    await removeWorkArea(prepared.area);
  }

  private async runAttempt(name: string, request: RunRequest, hooks: RunHooks, signal: AbortSignal): Promise<RunOutcome> {
    if (signal.aborted) return { end: 'cancelled', exitCode: null, error: 'cancelled' };
    const plan = planAttempt(request, this.options);
    if ('error' in plan) return { end: 'error', exitCode: null, error: plan.error };
    const budget = new LineBudget(this.options.logLineCapBytes, this.options.logCapBytes, (stream, line) => hooks.onLine(stream, line));
    if (plan.imagesWithoutRoot.length > 0) {
      const images = plan.imagesWithoutRoot.join(', ');
      const which = plan.imagesWithoutRoot.length === 1 ? `image ${images} has` : `images ${images} have`;
      budget.line('stderr', `gantry: ${which} no root file system configured on this node; the task runs on the host's userland`);
    }
    let site: AttemptSite | undefined;
    let membership: GroupMembership | undefined;
    try {
      if (request.group) {
        if (this.host!.tool !== 'bwrap' || !this.host!.nsenter) return { end: 'error', exitCode: null, error: 'cannot run the task: a member of an application network needs bubblewrap and util-linux nsenter on its node' };
        membership = await this.networks.join(request.group);
      }
      site = await this.makeSite(name, request, plan);
      this.sites.set(name, { taskId: request.taskId, attempt: request.attempt, site });
      return await this.runSteps(request, plan, site, budget, membership ? { ...hooks, onStarted: (info) => hooks.onStarted({ ...info, endpoints: membership!.endpoints }) } : hooks, signal, membership);
    } catch (error) {
      // A failure of the host (a file or cgroup that cannot be made), not of the task.
      return { end: 'error', exitCode: null, error: `cannot run the task: ${(error as Error).message}` };
    } finally {
      this.sites.delete(name);
      if (site) await this.cleanUp(site);
      await membership?.release();
    }
  }

  /** The attempt's area, cgroups and mounts: a prepared one when its limits are the defaults. */
  private async makeSite(name: string, request: RunRequest, plan: AttemptPlan): Promise<AttemptSite> {
    const defaults = this.usesDefaultLimits(request);
    const prepared = defaults ? this.pool?.take() : undefined;
    const area = prepared?.area ?? this.freshArea(name);
    const site: AttemptSite = { area, cgroup: prepared?.cgroup, defaultLimits: defaults, prepared, binds: [], tmpfs: [] };
    try {
      if (!prepared && this.cgroups) site.cgroup = defaults ? await this.defaultCgroup() : await TaskCgroup.create(area.name, this.limitsOf(request.limits));
      layOutSite(site, plan, request.steps.map((step) => step.image), this.roots!, this.owner);
      return site;
    } catch (error) {
      await this.cleanUp(site);
      throw error;
    }
  }

  private async runSteps(request: RunRequest, plan: AttemptPlan, site: AttemptSite, budget: LineBudget, hooks: RunHooks, signal: AbortSignal, membership?: GroupMembership): Promise<RunOutcome> {
    let started = false;
    let outcome: RunOutcome = { end: 'exited', exitCode: 0 };
    let lastProgress: number | undefined;
    const reportProgress = (): void => {
      const progress = this.readProgress(site.area);
      if (progress === undefined || progress === lastProgress) return;
      lastProgress = progress;
      hooks.onProgress?.(progress);
    };
    for (const [index, step] of request.steps.entries()) {
      if (signal.aborted) return { end: 'cancelled', exitCode: null, error: 'cancelled' };
      this.writeStepFiles(site, step, index > 0);
      const spec = this.stepSpec(request, plan, site, step, plan.steps[index]!.argv, index, membership);
      const waiter = index === 0 && site.prepared?.waiter && !site.prepared.waiter.gone ? site.prepared.waiter : undefined;
      const end = await runStepProcess({
        start: async (handlers) => {
          if (!waiter) return this.launcher.launch(buildSandboxInvocation(this.host!, spec), handlers);
          waiter.process.setHandlers(handlers);
          waiter.released = true;
          waiter.process.release(launchLine(this.host!, spec));
          return waiter.process;
        },
        budget,
        signal,
        timeoutMs: step.timeoutMs,
        cgroup: site.cgroup,
        onPid: (pid) => {
          if (started) return;
          started = true;
          hooks.onStarted({ backendId: String(pid) });
        },
        poll: step.role === 'main' && hooks.onProgress ? { everyMs: this.options.progressPollMs, run: reportProgress } : undefined,
      });
      const result = stepOutcome({ ...end, oomKilled: end.code !== 0 && (site.cgroup?.oomKilled() ?? false) });
      const ok = result.end === 'exited' && result.exitCode === 0;
      if (step.role === 'main') {
        outcome = ok ? { ...result, output: this.readOutput(site.area) } : result;
        if (hooks.onProgress) reportProgress();
      }
      if (!ok) return step.role === 'main' ? outcome : { ...result, error: `${step.role} task "${step.name}": ${result.error ?? result.end}` };
    }
    return outcome;
  }

  /** Tork's files for a step: a fresh entrypoint (and output and progress files), and the step's `files`. */
  private writeStepFiles(site: AttemptSite, step: RunStep, afterAnotherStep: boolean): void {
    const tork = site.area.torkDir;
    if (afterAnotherStep) {
      // Each Tork step has its own /tork: nothing of the previous step's output or progress carries over.
      for (const file of [TORK_NAMES.output, TORK_NAMES.progress]) clearPath(join(tork, file));
      // Tork makes both files before the task starts; scripts may read or append to them (a fresh area has them).
      createTorkFiles(site.area, this.owner);
    }
    // The script, read-only for the task (a recycled area's may already be the one).
    const entrypoint = join(tork, TORK_NAMES.entrypoint);
    if (step.run) placeOwnFile(entrypoint, step.run, 0o555);
    else clearPath(entrypoint);
    if (Object.keys(step.files).length > 0) writeTaskFiles(site.workdirHost!, step.files, this.owner);
  }

  private stepSpec(request: RunRequest, plan: AttemptPlan, site: AttemptSite, step: RunStep, argv: string[], index: number, membership?: GroupMembership): SandboxSpec {
    const limits = this.limitsOf(request.limits);
    const root = this.roots!.entries(step.image, request.network && !membership);
    return makeStepSpec(this.host!, {
      step,
      argv,
      torkDir: site.area.torkDir,
      root: membership ? withHostsFile(root, membership.hostsFile) : root,
      hostUserland: this.roots!.rootfsOf(step.image) === undefined,
      workdir: plan.workdir,
      binds: site.workdirBind ? [...site.binds, site.workdirBind] : site.binds,
      tmpfs: site.tmpfs,
      network: request.network && !membership,
      netns: membership?.netnsPath,
      hostname: membership?.hostname,
      memoryBytes: limits.memoryBytes,
      cpus: limits.cpus,
      runAs: this.owner,
      cgroupProcs: site.cgroup?.procsFiles() ?? [],
      scratchDir: this.host!.tool === 'unshare' ? taskDir(site.area, `step-${index}`, undefined) : undefined,
    });
  }

  private readOutput(area: WorkArea): string {
    // One byte more than kept: tells whether the cap cut a character in two.
    const bytes = readCapped(join(area.torkDir, TORK_NAMES.output), this.options.outputCapBytes + 1);
    return bytes ? utf8Prefix(bytes, this.options.outputCapBytes).toString('utf8') : '';
  }

  private readProgress(area: WorkArea): number | undefined {
    const text = readCapped(join(area.torkDir, TORK_NAMES.progress), PROGRESS_CAP)?.toString('utf8').trim();
    if (!text) return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : undefined;
  }

  /**
   * Kills what is left of the attempt and waits until it is gone, so that no
   * process of a task outlives its outcome; removes its cgroups and work area in
   * the background (stop() waits for that), off the task's way to its outcome.
   */
  private async cleanUp(site: AttemptSite): Promise<void> {
    this.endWaiter(site.prepared);
    const cgroup = site.cgroup;
    const emptied = cgroup ? await cgroup.killAndWait() : true;
    if (!emptied) this.options.logger?.warn({ cgroup: cgroup!.name }, 'processes of a task could not be killed');
    // Once empty, default-limit cgroups and a clean area serve later attempts.
    const keepCgroup = emptied && cgroup !== undefined && site.defaultLimits && !this.stopped && this.recycler.keepCgroup(cgroup);
    const keepArea = emptied && !this.stopped && this.recycler.keepArea(site.area);
    const cleanup = (async () => {
      if (cgroup && !keepCgroup && !(await cgroup.remove())) this.options.logger?.warn({ cgroup: cgroup.name }, 'a task cgroup could not be removed');
      if (!keepArea) await removeWorkArea(site.area);
    })()
      .catch((error: unknown) => this.options.logger?.warn({ err: error, area: site.area.dir }, 'cleaning up a task attempt failed'))
      .finally(() => this.cleanups.delete(cleanup));
    this.cleanups.add(cleanup);
  }
}

/** A root whose /etc/hosts is a group's hosts file. */
function withHostsFile(root: RootEntry[], hostsFile: string): RootEntry[] {
  const hosts: RootEntry = { kind: 'ro-bind', source: hostsFile, target: '/etc/hosts', file: true };
  return [...root.filter((entry) => entry.target !== '/etc/hosts'), hosts];
}
