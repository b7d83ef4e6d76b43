import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildSandboxInvocation } from '../process/sandbox-command.js';
import type { SandboxHost } from '../process/sandbox-host.js';
import type { SandboxSpec } from '../process/sandbox-spec.js';
import type { WarmCgroup } from './warm-cgroup.js';

/** How a template makes its sandboxes: by forking itself (python), or by exec'ing an interpreter ahead of demand. */
export type TemplateMode = 'fork' | 'exec';

export interface WarmTemplateOptions {
  language: string;
  mode: TemplateMode;
  /** Host path of the python that runs the template. */
  python: string;
  /** exec mode: the interpreter command each sandbox execs, as seen inside the sandbox. */
  argv?: string[];
  /** Sandboxes kept waiting. */
  spares: number;
  memoryBytes: number;
  tmpBytes: number;
  pids: number;
  outputCapBytes: number;
  maxTimeoutSeconds: number;
  /** Host directories bound read-only at the same path (an interpreter installed outside /usr). */
  extraBinds: string[];
  /** The template's memory cgroup, delegated to it (one child per sandbox); none: rlimits only. */
  cgroup?: WarmCgroup;
  /** Modules the python template imports once, so forked sandboxes have them loaded. */
  preload: string[];
  host: SandboxHost;
  /** Host user the template runs as (when Gantry runs as root). */
  runAs?: { uid: number; gid: number };
  /** A directory of Gantry's for this template's files (bound read-only at /tork). */
  dir: string;
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** What one sandbox did with one snippet, as the template reports it. */
export interface SandboxRun {
  stdout: string;
  stderr: string;
  /** The exit status; null when it was killed by a signal. */
  exitCode: number | null;
  signal: number | null;
  /** Killed for using more than its memory (its cgroup's count of OOM kills). */
  outOfMemory: boolean;
  timedOut: boolean;
  /** Its output passed the cap; it was stopped there. */
  truncated: boolean;
  /** From the template receiving the snippet to a prepared sandbox having it. */
  forkMs: number;
  /** From the sandbox having the snippet to its end. */
  execMs: number;
}

interface DoneMessage {
  op: 'done';
  id: number;
  stdout: string;
  stderr: string;
  exit_code: number | null;
  signal: number | null;
  oom: boolean;
  timed_out: boolean;
  truncated: boolean;
  fork_ms: number;
  exec_ms: number;
}

type TemplateMessage = DoneMessage | { op: 'ready'; numpy: boolean } | { op: 'error'; message: string };

/** The largest pipe an unprivileged process may ask for (fs.pipe-max-size's default): the snippet's pipe. */
const CONTROL_PIPE_BYTES = 1024 * 1024;
/** The uid and gid a snippet has inside its sandbox. */
const INNER_ID = 1000;
/** Where the template sees its memory cgroup (each sandbox hides it again). */
const CGROUP_IN_SANDBOX = '/cgroup';
const RESTART_DELAYS_MS = [250, 1_000, 5_000, 30_000];

const ASSETS = ['warm-template.py', 'node-bootstrap.cjs'];

/**
 * One warm template: a sandboxed python process that keeps `spares` sandboxes
 * prepared for a language (see warm-template.py). Runs snippets; restarts the
 * template if it stops, failing the snippets it had with a clear error.
 */
export class WarmTemplate {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, { resolve: (run: SandboxRun) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private restarts = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Why the template is not running, when it is not. */
  problem: string | undefined = 'starting';
  numpy = false;

  constructor(readonly options: WarmTemplateOptions) {}

  get ready(): boolean {
    return this.child !== undefined && this.problem === undefined;
  }

  get running(): number {
    return this.pending.size;
  }

  /** Starts the template; resolves once it has said it is ready (or failed, which `problem` then tells). */
  async start(): Promise<void> {
    this.stopping = false;
    const dir = this.options.dir;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const source = fileURLToPath(new URL('.', import.meta.url));
    for (const asset of ASSETS) copyFileSync(join(source, asset), join(dir, asset));
    await this.launch();
  }

  private async launch(): Promise<void> {
    const { options } = this;
    // Sandboxes of a template that died are gone; so go their cgroups.
    await options.cgroup?.removeChildren();
    const invocation = buildSandboxInvocation({ ...options.host, bwrapDisablesUserns: false }, this.spec());
    const child = spawn(invocation.file, invocation.args, { env: invocation.env, cwd: invocation.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-2_000);
    });
    child.stdin.on('error', () => undefined);
    const started = new Promise<void>((resolve) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        let message: TemplateMessage;
        try {
          message = JSON.parse(line) as TemplateMessage;
        } catch {
          // Only the template writes here; a line that is not its JSON is reported, not thrown.
          options.logger.warn({ language: options.language, line: line.slice(0, 200) }, 'warm sandbox template wrote something unexpected');
          return;
        }
        if (message.op === 'ready') {
          this.problem = undefined;
          this.numpy = message.numpy;
          this.restarts = 0;
          resolve();
        } else if (message.op === 'error') {
          options.logger.warn({ language: options.language, reason: message.message }, 'warm sandbox template could not prepare a sandbox');
        } else {
          this.settle(message);
        }
      });
      let ended = false;
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        this.child = undefined;
        this.problem = `the ${options.language} sandbox template stopped: ${reason}`;
        for (const [id, waiter] of this.pending) {
          this.pending.delete(id);
          waiter.reject(new Error(this.problem));
        }
        resolve();
        if (!this.stopping) this.scheduleRestart();
      };
      child.once('exit', (code, signal) => end(stderr.trim().split('\n').at(-1) || `exit ${code ?? signal}`));
      // A program that cannot be started at all: no exit follows.
      child.once('error', (error) => end(error.message));
    });
    child.stdin.write(`${JSON.stringify(this.templateConfig())}\n`);
    await started;
  }

  private scheduleRestart(): void {
    const delay = RESTART_DELAYS_MS[Math.min(this.restarts, RESTART_DELAYS_MS.length - 1)]!;
    this.restarts++;
    this.options.logger.warn({ language: this.options.language, problem: this.problem, retryInMs: delay }, 'restarting the warm sandbox template');
    this.restartTimer = setTimeout(() => void this.launch(), delay);
    this.restartTimer.unref();
  }

  /** Runs one snippet in a fresh sandbox. Rejects only when the template itself fails. */
  run(code: string, timeoutSeconds: number): Promise<SandboxRun> {
    const child = this.child;
    if (!child || this.problem !== undefined) return Promise.reject(new Error(this.problem ?? `the ${this.options.language} sandbox template is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ op: 'run', id, code, timeout: timeoutSeconds })}\n`);
    });
  }

  /** Stops the template and every sandbox it holds. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) {
      await this.options.cgroup?.remove();
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // End of input tells the template to kill its sandboxes and exit.
    child.stdin.end();
    const forced = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(forced);
    await this.options.cgroup?.remove();
  }

  private settle(message: DoneMessage): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    waiter.resolve({
      stdout: message.stdout,
      stderr: message.stderr,
      exitCode: message.exit_code,
      signal: message.signal,
      outOfMemory: message.oom === true,
      timedOut: message.timed_out,
      truncated: message.truncated,
      forkMs: message.fork_ms,
      execMs: message.exec_ms,
    });
  }

  private spec(): SandboxSpec {
    const { options } = this;
    return {
      torkDir: options.dir,
      root: options.host.userland,
      binds: [
        ...options.extraBinds.map((dir) => ({ source: dir, target: dir, readOnly: true })),
        ...(options.cgroup ? [{ source: options.cgroup.dir, target: CGROUP_IN_SANDBOX, readOnly: false }] : []),
      ],
      tmpfs: [],
      tmpfsBytes: 1024 * 1024,
      network: false,
      workdir: '/tmp',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp' },
      argv: [options.python, '-I', '/tork/warm-template.py'],
      runAs: options.runAs,
      innerIds: options.runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      cgroupProcs: options.cgroup ? [options.cgroup.procsFile] : [],
    };
  }

  private templateConfig(): Record<string, unknown> {
    const { options } = this;
    return {
      mode: options.mode,
      argv: options.argv ?? [],
      spares: options.spares,
      memory_bytes: options.memoryBytes,
      tmp_bytes: options.tmpBytes,
      shm_bytes: Math.min(options.tmpBytes, 16 * 1024 * 1024),
      pids: options.pids,
      output_cap: options.outputCapBytes,
      inner_uid: INNER_ID,
      inner_gid: INNER_ID,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp', TMPDIR: '/tmp' },
      control_pipe_bytes: CONTROL_PIPE_BYTES,
      max_cpu_seconds: options.maxTimeoutSeconds + 1,
      preload: options.preload,
      cgroup: options.cgroup ? CGROUP_IN_SANDBOX : null,
    };
  }
}

/** The most a snippet may be: its pipe holds it whole, with room for its header line. */
export const MAX_CODE_BYTES = CONTROL_PIPE_BYTES - 4096;
