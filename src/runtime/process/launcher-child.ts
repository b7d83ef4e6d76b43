/**
 * The launcher: a small, long-lived child process that starts task processes for
 * the runtime. Forking costs time in proportion to the forking process's memory,
 * and Node's spawn forks on the event loop; a process this small forks in about a
 * millisecond, on another core, while the server keeps serving.
 *
 * Protocol (IPC messages): in `{ op: 'spawn', id, file, args, env }`; out
 * `{ op: 'spawned', id, pid }` or `{ op: 'failed', id, error }`, then
 * `{ op: 'data', id, stream, data }`… and `{ op: 'exit', id, code, signal }`.
 * When the server goes away the launcher exits, and bubblewrap's --die-with-parent
 * takes the tasks with it.
 */
import { spawn } from 'node:child_process';

interface SpawnMessage {
  op: 'spawn';
  id: number;
  file: string;
  args: string[];
  env: Record<string, string>;
}

const send = (message: object): void => {
  if (process.connected) process.send!(message);
};

process.on('message', (message: SpawnMessage) => {
  if (message.op !== 'spawn') return;
  const { id } = message;
  let child;
  try {
    child = spawn(message.file, message.args, { env: message.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    send({ op: 'failed', id, error: (error as Error).message });
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (error) => send({ op: 'failed', id, error: error.message }));
    return;
  }
  send({ op: 'spawned', id, pid: child.pid });
  child.stdout.on('data', (chunk: Buffer) => send({ op: 'data', id, stream: 'stdout', data: chunk }));
  child.stderr.on('data', (chunk: Buffer) => send({ op: 'data', id, stream: 'stderr', data: chunk }));
  child.once('close', (code, signal) => send({ op: 'exit', id, code, signal }));
});

process.on('disconnect', () => process.exit(0));
