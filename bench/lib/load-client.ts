import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What the load generator reports at the end of a run (see http-load.ts). */
export interface LoadResult {
  /** CPU seconds the load generator used. */
  cpuSeconds: number;
  /** Seconds from its first request to its last response. */
  wallSeconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadRequest {
  url: string;
  count: number;
  concurrency: number;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: { contentType: string; text: string };
}

/**
 * Starts bench/lib/http-load.ts (its own process, like any client) and resolves
 * once it is ready: `go()` starts the requests, `done` gives its report.
 */
export async function startLoad(load: LoadRequest): Promise<{ go(): void; done: Promise<LoadResult> }> {
  const script = fileURLToPath(new URL('./http-load.ts', import.meta.url));
  const args = [
    '--import', 'tsx', script,
    ...(load.method ? ['--method', load.method] : []),
    load.url, String(load.count), String(load.concurrency),
    ...(load.body ? [load.body.contentType, load.body.text] : []),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, HTTP_LOAD_HEADERS: JSON.stringify(load.headers ?? {}) },
  });
  const lines = createInterface({ input: child.stdout });
  const next = async (): Promise<string> => {
    const [line] = (await once(lines, 'line')) as [string];
    return line;
  };
  if ((await next()) !== 'ready') throw new Error('the load generator did not start');
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`the load generator failed (exit ${String(code)})`);
  });
  return {
    go: () => child.stdin.write('go\n'),
    done: Promise.all([next(), exited]).then(([line]) => {
      const [, cpu, wall, p50, p99, max] = line.split(' ').map(Number);
      return { cpuSeconds: cpu!, wallSeconds: wall!, p50Ms: p50!, p99Ms: p99!, maxMs: max! };
    }),
  };
}
