import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StreamName } from '../runtime.js';
import type { SandboxInvocation } from './sandbox-command.js';

export interface LaunchHandlers {
  onData(stream: StreamName, data: Buffer): void;
  /** The process is gone and its output read to the end. */
  onExit(code: number | null, signal: string | null): void;
  /** It could not be started, or the launcher went away. */
  onError(message: string): void;
}

type Incoming =
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'failed'; id: number; error: string }
  | { op: 'data'; id: number; stream: StreamName; data: Uint8Array }
  | { op: 'exit'; id: number; code: number | null; signal: string | null };

interface Entry {
  handlers: LaunchHandlers;
  resolve(process: LaunchedProcess): void;
  /** Held and not yet released: waiting for work, which keeps nothing alive. */
  held: boolean;
}

/** A process started through the launcher. */
export class LaunchedProcess {
  constructor(
    private readonly launcher: Launcher,
    private readonly id: number,
    /** Host pid; undefined when it could not be started. */
    readonly pid: number | undefined,
  ) {}

  /** Sends its output and end to `handlers` from now on (a prepared process changes hands). */
  setHandlers(handlers: LaunchHandlers): void {
    this.launcher.setHandlers(this.id, handlers);
  }

  /** Its output is no longer wanted: the launcher reads and drops it instead of sending it. */
  mute(): void {
    this.launcher.mute(this.id);
  }

  /** Lets a held process go on: writes `data` to its stdin and closes it (see `launch`'s `hold`). */
  release(data: string): void {
    this.launcher.release(this.id, data);
  }
}

/** Starts task processes through the launcher child (see launcher-child.ts); restarts it if it dies. */
export class Launcher {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly entries = new Map<number, Entry>();

  private ensureChild(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    // Under the test runner the sources are TypeScript: load the .ts twin through tsx.
    const typescript = import.meta.url.endsWith('.ts');
    const path = fileURLToPath(new URL(typescript ? './launcher-child.ts' : './launcher-child.js', import.meta.url));
    const child = fork(path, [], {
      execArgv: typescript ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('message', (message: Incoming) => this.onMessage(message));
    // A message to a launcher that just died fails (EPIPE); its exit, below, settles what it had.
    child.on('error', () => undefined);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const [id, entry] of this.entries) {
        this.entries.delete(id);
        entry.resolve(new LaunchedProcess(this, id, undefined));
        entry.handlers.onError('the task launcher stopped');
      }
    });
    this.child = child;
    this.updateRef();
    return child;
  }

  /**
   * The launcher keeps the server's process alive only while it runs something,
   * so an idle runtime never holds a process open that is otherwise done.
   */
  private updateRef(): void {
    const child = this.child as (ChildProcess & { channel?: { ref(): void; unref(): void } }) | undefined;
    if (!child) return;
    if ([...this.entries.values()].some((entry) => !entry.held)) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }

  /**
   * Starts a process; resolves once it exists (or failed to). With `hold`, its
   * stdin is a pipe, `input` is written to it at once, and `release()` writes the
   * rest and closes it.
   */
  launch(invocation: SandboxInvocation & { input?: string }, handlers: LaunchHandlers, options: { hold?: boolean } = {}): Promise<LaunchedProcess> {
    const id = this.nextId++;
    const hold = options.hold === true;
    return new Promise((resolve) => {
      this.entries.set(id, { handlers, resolve, held: hold });
      this.ensureChild().send({ op: 'spawn', id, file: invocation.file, args: invocation.args, env: invocation.env, cwd: invocation.cwd, hold, input: invocation.input });
      this.updateRef();
    });
  }

  /** @internal */
  setHandlers(id: number, handlers: LaunchHandlers): void {
    const entry = this.entries.get(id);
    // Already gone: the new owner hears so at once rather than waiting forever.
    if (!entry) queueMicrotask(() => handlers.onError('the prepared process is gone'));
    else entry.handlers = handlers;
  }

  /** @internal */
  mute(id: number): void {
    if (this.entries.has(id) && this.child?.connected) this.child.send({ op: 'mute', id });
  }

  /** @internal */
  release(id: number, data: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.held = false;
    this.updateRef();
    if (this.child?.connected) this.child.send({ op: 'release', id, data });
  }

  private onMessage(message: Incoming): void {
    const entry = this.entries.get(message.id);
    if (!entry) return;
    switch (message.op) {
      case 'spawned':
        entry.resolve(new LaunchedProcess(this, message.id, message.pid));
        break;
      case 'failed':
        this.entries.delete(message.id);
        this.updateRef();
        entry.resolve(new LaunchedProcess(this, message.id, undefined));
        entry.handlers.onError(message.error);
        break;
      case 'data':
        entry.handlers.onData(message.stream, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case 'exit':
        this.entries.delete(message.id);
        this.updateRef();
        entry.handlers.onExit(message.code, message.signal);
        break;
    }
  }

  stop(): void {
    this.child?.disconnect();
    this.child = undefined;
  }
}
