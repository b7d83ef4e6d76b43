import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MqLoad } from './mq-load.js';

/**
 * Starts a load script of bench/lib (its own Node process, as clients are)
 * and resolves once it printed `ready`; `go()` starts it and resolves with the
 * fields of the `done …` line it prints at the end.
 */
async function startChild(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ go(): Promise<string[]> }> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${script} failed (exit ${String(code)})`);
  });
  const next = async (): Promise<string> => {
    const line = await Promise.race([once(lines, 'line').then(([text]) => text as string), exited.then(() => '')]);
    if (!line) throw new Error(`${script} ended without a report`);
    return line;
  };
  if ((await next()) !== 'ready') throw new Error(`${script} did not start`);
  return {
    go: async () => {
      child.stdin.write('go\n');
      const [line] = await Promise.all([next(), exited]);
      const [word, ...fields] = line.split(' ');
      if (word !== 'done') throw new Error(`unexpected report from ${script}: ${line}`);
      return fields;
    },
  };
}

export interface MqLoadResult {
  seconds: number;
  perSecond: number;
  /** CPU seconds the clients' process used. */
  clientCpuSeconds: number;
}

/** The queue clients of mq-load.ts, connected and waiting for `go()`. */
export async function startMqLoad(load: MqLoad): Promise<{ go(): Promise<MqLoadResult> }> {
  const child = await startChild('./mq-load.ts', [], { MQ_LOAD: JSON.stringify(load) });
  return {
    go: async () => {
      const [seconds, cpu] = (await child.go()).map(Number) as [number, number];
      return { seconds, perSecond: load.spec.messages / seconds, clientCpuSeconds: cpu };
    },
  };
}

/** The task alone (spawn-load.ts), `count` times, `concurrency` at a time, waiting for `go()`: resolves with runs/s. */
export async function startSpawnLoad(count: number, concurrency: number): Promise<{ go(): Promise<number> }> {
  const child = await startChild('./spawn-load.ts', [String(count), String(concurrency)]);
  return { go: async () => count / Number((await child.go())[0]) };
}
