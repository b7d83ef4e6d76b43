import { CommanderError } from 'commander';
import { isGantryError, type ErrorCode } from '../core/errors.js';
import { ServerError, UnreachableError } from './http-client.js';

/**
 * The exit statuses of `gantry`, one meaning each so scripts can tell a failed
 * job from a typo from a server that is down. docs/cli.md has the same table.
 */
export const EXIT = {
  ok: 0,
  /** The job ended FAILED or CANCELLED (waiting commands); `gantry serve` could not start (port in use, database down). */
  failed: 1,
  /** Usage: unknown command or flag, missing argument, bad flag value, invalid configuration, unreadable job file. */
  usage: 2,
  /** No answer from the Gantry server: nothing listens at its address, it broke off, or it stayed silent. */
  unreachable: 3,
  /**
   * The server answered with an error: unknown id, a job definition it refuses, an action the job's state forbids;
   * for the admin commands, the installation refused: unknown user or key, a username taken, the last admin.
   */
  refused: 4,
  /** Ctrl-C while waiting or following; the job keeps running. */
  interrupted: 130,
  /** stdout closed early (`gantry jobs logs ID | head`), as a process killed by SIGPIPE. */
  closedPipe: 141,
} as const;

/** Errors of the installation's own services (unknown user, a name taken) that mean "refused", as a server's 4xx does. */
const REFUSED_CODES: ReadonlySet<ErrorCode> = new Set(['not_found', 'conflict', 'forbidden', 'unauthenticated']);

/** Commander's own "errors" that are not: `--help`, `--version`. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // `gantry` alone prints help as a usage error ('commander.help' with exit code 1).
    if (COMMANDER_OK.has(error.code)) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage;
  }
  if (error instanceof UnreachableError) return EXIT.unreachable;
  if (error instanceof ServerError) return EXIT.refused;
  if (isGantryError(error)) {
    if (error.code === 'invalid_input') return EXIT.usage;
    // The admin commands act on the store directly: what the server would answer with 4xx is refused here too.
    if (REFUSED_CODES.has(error.code)) return EXIT.refused;
  }
  return EXIT.failed;
}
