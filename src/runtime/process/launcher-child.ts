/**
 * The launcher: a small, long-lived child process that starts task processes for
 * the runtime. Forking costs time in proportion to the forking process's memory,
 * and Node's spawn forks on the event loop; a process this small forks in about a
 * millisecond, on another core, while the server keeps serving.
 *
 * Protocol (IPC messages): in `{ op: 'spawn', id, file, args, env, cwd, hold,
 * input }` (a held process's stdin stays open, `input` written to it),
 * `{ op: 'release', id, data }` (`data` written to a held process's stdin, which is closed) and
 * `{ op: 'mute', id }` (its output is no longer wanted: read and dropped); out
 * `{ op: 'spawned', id, pid }` or `{ op: 'failed', id, error }`, then
 * `{ op: 'data', id, stream, data }`… and `{ op: 'exit', id, code, signal }`.
 * When the server goes away the launcher kills what it started and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';

interface SpawnMessage {
  op: 'spawn';
  id: number;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  hold: boolean;
  input?: string;
}

type Incoming = SpawnMessage | { op: 'release'; id: number; data: string } | { op: 'mute'; id: number };

const children = new Map<number, ChildProcess>();
const muted = new Set<number>();

const send = (message: object): void => {
  if (process.connected) process.send!(message);
};

function start(message: SpawnMessage): void {
  const { id } = message;
  let child: ChildProcess;
  try {
    // detached: a process group of its own, so the whole group can be killed.
    child = spawn(message.file, message.args, { env: message.env, cwd: message.cwd, stdio: [message.hold ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    send({ op: 'failed', id, error: (error as Error).message });
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (error) => send({ op: 'failed', id, error: error.message }));
    return;
  }
  children.set(id, child);
  send({ op: 'spawned', id, pid: child.pid });
  // A held process that dies before its release must not take the launcher down with EPIPE.
  child.stdin?.on('error', () => undefined);
  if (message.input) child.stdin?.write(message.input);
  for (const stream of ['stdout', 'stderr'] as const) {
    const readable = child[stream]!;
    readable.on('data', (chunk: Buffer) => {
      if (muted.has(id) || !process.connected) return;
      // Backpressure: a task that writes faster than the server takes it in waits, rather than filling this process's memory.
      if (!process.send!({ op: 'data', id, stream, data: chunk })) {
        readable.pause();
        process.send!({ op: 'ping' }, () => readable.resume());
      }
    });
  }
  child.once('close', (code, signal) => {
    children.delete(id);
    muted.delete(id);
    send({ op: 'exit', id, code, signal });
  });
}

process.on('message', (message: Incoming) => {
  if (message.op === 'spawn') start(message);
  else if (message.op === 'release') children.get(message.id)?.stdin?.end(message.data);
  else if (message.op === 'mute' && children.has(message.id)) muted.add(message.id);
});

// A message to a server that is just going away fails with EPIPE; the disconnect below handles that.
process.on('error', () => undefined);

process.on('disconnect', () => {
  for (const child of children.values()) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
