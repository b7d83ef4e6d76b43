import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StreamName } from '../runtime.js';

export interface LaunchHandlers {
  onData(stream: StreamName, data: Buffer): void;
  onExit(code: number | null, signal: string | null): void;
  onError(message: string): void;
}

type Incoming =
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'failed'; id: number; error: string }
  | { op: 'data'; id: number; stream: StreamName; data: Uint8Array }
  | { op: 'exit'; id: number; code: number | null; signal: string | null };

interface Pending {
  handlers: LaunchHandlers;
  resolvePid(pid: number | undefined): void;
}

/** Starts task processes through the launcher child (see launcher-child.ts); restarts it if it dies. */
export class Launcher {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private ensureChild(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const source = new URL('./launcher-child.js', import.meta.url);
    // Under the test runner the sources are TypeScript: load the .ts twin through tsx.
    const path = import.meta.url.endsWith('.ts') ? fileURLToPath(new URL('./launcher-child.ts', import.meta.url)) : fileURLToPath(source);
    const child = fork(path, [], {
      execArgv: path.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('message', (message: Incoming) => this.onMessage(message));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.resolvePid(undefined);
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
    if (this.pending.size > 0) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }

  /** Starts a process; resolves with its pid (undefined when it could not start). */
  launch(file: string, args: string[], env: Record<string, string>, handlers: LaunchHandlers): Promise<number | undefined> {
    const id = this.nextId++;
    return new Promise((resolvePid) => {
      this.pending.set(id, { handlers, resolvePid });
      this.ensureChild().send({ op: 'spawn', id, file, args, env });
      this.updateRef();
    });
  }

  private onMessage(message: Incoming): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    switch (message.op) {
      case 'spawned':
        entry.resolvePid(message.pid);
        break;
      case 'failed':
        this.pending.delete(message.id);
        this.updateRef();
        entry.resolvePid(undefined);
        entry.handlers.onError(message.error);
        break;
      case 'data':
        entry.handlers.onData(message.stream, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case 'exit':
        this.pending.delete(message.id);
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
