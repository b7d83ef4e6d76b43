import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { EXIT } from './exit-codes.js';
import { TorkClient } from './http-client.js';

/** Flags every client command takes. */
export interface ClientFlags {
  server?: string;
  config?: string;
  json?: boolean;
}

/** Adds `--server`, `--config` and `--json` to a client command. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--server <url>', 'Gantry server to talk to (default: GANTRY_SERVER, `server` of gantry.yaml, else http://127.0.0.1:<port>)')
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
  const config = loadConfig({ commandLine: { server: flags.server }, configFile: flags.config });
  return new TorkClient(config.server);
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
