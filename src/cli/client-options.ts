import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { GantryError } from '../core/errors.js';
import type { GantryConfig } from '../config/schema.js';
import { EXIT } from './exit-codes.js';
import { ADMIN_PASSWORD_FILE } from '../services/identity/first-admin.js';
import { TorkClient } from './http-client.js';

/** Flags every client command takes. */
export interface ClientFlags {
  server?: string;
  config?: string;
  token?: string;
  user?: string;
  data?: string;
  json?: boolean;
}

/** Adds `--server`, `--token`, `--user`, `--data`, `--config` and `--json` to a client command. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--server <url>', 'Gantry server to talk to (default: GANTRY_SERVER, `server` of gantry.yaml, else http://127.0.0.1:<port>)')
    .option('--token <token>', 'API key, JWT or access token to send as Bearer (default: GANTRY_TOKEN)')
    .option('--user <name>', 'user for HTTP Basic, with the password from GANTRY_PASSWORD (default: GANTRY_USER)')
    .option('--data <dir>', "with neither: the local data directory whose admin-password file to send as admin's (default: GANTRY_DATA, dataDir of gantry.yaml, else .gantry)")
    .option('--config <file>', 'configuration file (default: GANTRY_CONFIG, else gantry.yaml when present)')
    .option('--json', 'print the JSON the server returned instead of a human summary');
}

/**
 * A client for the server of the one typed config: `--server`, GANTRY_SERVER,
 * the config file, else the address `gantry serve` would listen on with the same
 * settings. Every way of setting it is validated the same way.
 */
export function clientFor(flags: ClientFlags): TorkClient {
  quietOnClosedPipe();
  const config = loadConfig({ commandLine: { server: flags.server, token: flags.token, user: flags.user, data: flags.data }, configFile: flags.config });
  return new TorkClient(config.server, fetch, { authorization: authorizationOf(config) });
}

/**
 * The credential client commands send: the token, else the user and password,
 * else — for the operator of a local installation — the first admin's password
 * kept in the data directory (readable only by whoever started the server).
 */
function authorizationOf(config: GantryConfig): string | undefined {
  const { token, user, password } = config.client;
  if (token !== undefined) return `Bearer ${token}`;
  if (user !== undefined) {
    if (password === undefined) throw new GantryError('invalid_input', `user ${user} needs a password: set GANTRY_PASSWORD`);
    return basic(user, password);
  }
  try {
    const kept = readFileSync(join(config.dataDir, ADMIN_PASSWORD_FILE), 'utf8').trim();
    return kept === '' ? undefined : basic('admin', kept);
  } catch {
    return undefined;
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

let pipeHandled = false;

/**
 * `gantry jobs logs ID | head` closes stdout early; Node would die with a stack
 * trace on the next write. Stop quietly instead, with the status a process
 * killed by SIGPIPE has (what other Unix tools report there).
 */
function quietOnClosedPipe(): void {
  if (pipeHandled) return;
  pipeHandled = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.closedPipe);
    throw error;
  });
}

/** Commander parser for `--page`/`--size`: a whole number ≥ 1, checked before any request is made. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(value);
}

/** Writes to stdout, adding the final newline JSON answers lack. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes a note for the human (progress, paging hints) to stderr, keeping stdout for results. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Whether stdout is a terminal: colours and width-saving cuts only then. */
export const stdoutIsTerminal = (): boolean => process.stdout.isTTY === true;
