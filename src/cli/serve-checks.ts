import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { configError } from '../config/sources.js';
import { processAlive } from '../runtime/process/index.js';

/** Errno codes in words, for messages a person reads. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file',
  EEXIST: 'a file is in the way',
  ENOSPC: 'no space left on the device',
};

const reasonOf = (error: unknown): string => REASONS[(error as NodeJS.ErrnoException).code ?? ''] ?? (error as Error).message;

/**
 * Makes sure the data directory exists and is writable before anything is
 * started, so a bad `dataDir` is reported as the setting it is (with its source)
 * rather than as a raw errno from deep inside the store. Missing levels are made
 * one at a time: Node's recursive mkdir never returns under /proc.
 */
export function prepareDataDir(dir: string, from: string): void {
  const missing: string[] = [];
  let existing = dir;
  while (!existsSync(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (existsSync(existing) && !statSync(existing).isDirectory()) {
    throw configError('dataDir', from, `cannot use ${dir} as the data directory: ${existing} is a file`);
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      throw configError('dataDir', from, `cannot create the data directory ${level}: ${reasonOf(error)}`);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw configError('dataDir', from, `cannot write in the data directory ${dir}: ${reasonOf(error)}`);
  }
}

/** Where a listen failed, in the words a person needs to fix it. */
export interface ListenTarget {
  host: string;
  port: number;
  /** Where `host` and `port` were set (`--port`, `GANTRY_PORT`, `gantry.yaml line 2`, `default`). */
  hostFrom: string;
  portFrom: string;
}

const display = ({ host, port }: ListenTarget): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Turns a failed listen into a message that says what to change; `undefined`
 * when the error is not about listening.
 */
export function describeListenError(error: unknown, target: ListenTarget): Error | undefined {
  const { code, syscall } = error as NodeJS.ErrnoException;
  // The same codes come from files (EACCES on open): only words about the address here.
  if (syscall !== 'listen' && syscall !== 'bind' && syscall !== 'getaddrinfo') return undefined;
  const at = display(target);
  switch (code) {
    case 'EADDRINUSE':
      return new Error(
        `cannot listen on ${at} (port from ${target.portFrom}): the address is in use, by another Gantry server perhaps; ` +
          'choose another port with --port, GANTRY_PORT or port: in gantry.yaml',
      );
    case 'EACCES':
      return new Error(`cannot listen on ${at} (port from ${target.portFrom}): permission denied (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return configError('host', target.hostFrom, `cannot listen on ${at}: ${target.host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return configError('host', target.hostFrom, `cannot listen on ${at}: no address found for ${target.host}`);
    default:
      return undefined;
  }
}

/**
 * Binds the address once and lets it go, before the core starts: a second
 * server on a busy port must fail before it opens (and recovers) the store.
 * A listen that loses a race after this still fails, with the same message.
 */
export async function checkCanListen(target: ListenTarget): Promise<void> {
  if (target.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(describeListenError(error, target) ?? error));
    probe.listen({ host: target.host, port: target.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The lock file in a data directory: the pid of the `gantry serve` using it. */
export const LOCK_FILE = 'serve.pid';


/**
 * Claims the data directory for this process. Two servers on one data directory
 * would share its SQLite file and work areas, and the second one's start-up
 * recovery would take the first one's running worker for a dead one. A lock
 * left by a process that is gone (killed) is taken over. Returns the release.
 */
export function lockDataDir(dir: string, from: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      const release = (): void => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw configError('dataDir', from, `cannot write in the data directory ${dir}: ${reasonOf(error)}`);
      }
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new Error(
        `the data directory ${dir} (dataDir from ${from}) is in use by another gantry serve (pid ${holder}); ` +
          'stop it, or give this server a data directory of its own with --data or GANTRY_DATA',
      );
    }
    // Stale: its process is gone.
    unlinkSync(path);
  }
  throw new Error(`cannot lock the data directory ${dir}: another server keeps taking it`);
}
