import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { CLI } from '../support/process-server.js';

/** Longest any one CLI call may take; jobs here run in well under a second. */
export const CALL_TIMEOUT_MS = 20_000;

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CallOptions {
  /** The whole environment of the call: nothing of the developer's shell (no stray GANTRY_*) leaks in. */
  env?: Record<string, string>;
  cwd: string;
  input?: string;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** Fails early and clearly when the CLI was not built (`npm test` builds first; `npx vitest` alone does not). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

/** Runs `node dist/cli/main.js ARGS` as its own process, the way a user's shell would. */
export function gantry(args: string[], options: CallOptions): Promise<Outcome> {
  const timeoutMs = options.timeoutMs ?? CALL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        running.delete(child);
        if (error?.killed) {
          reject(new Error(`gantry ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
    running.add(child);
    child.stdin?.end(options.input ?? '');
  });
}

/** Kills CLI processes a failed test left behind. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** A loopback port with nothing listening on it: bound, then released. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What a usage error looks like: exit 2, one `gantry:` line naming the problem, one pointing at the help; no stack, nothing on stdout. */
export function expectUsageError(outcome: Outcome, message: RegExp): void {
  expect(outcome.code).toBe(2);
  expect(outcome.stdout).toBe('');
  const lines = outcome.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^\(see: gantry .*--help\)$/);
}
