import { InvalidArgumentError, type Command } from 'commander';
import { GantryError } from '../../core/errors.js';
import { parseGoDuration } from '../../core/units.js';
import { note, printText } from '../client-options.js';
import { withInstallation, withInstallationOptions, type InstallationFlags } from '../installation.js';
import { formatDuration } from '../output/format.js';
import { isoTime, printJson } from './admin-output.js';

interface TokenFlags extends InstallationFlags {
  ttl?: number;
}

/** Commander parser for `--ttl`: a Go duration (`90m`, `1h30m`, `0` for none) as whole seconds. */
export function ttlSeconds(value: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
  if (ms < 0) throw new InvalidArgumentError('a lifetime cannot be negative.');
  // JWT times are whole seconds; a lifetime that rounds to none would be no expiry, the opposite of what was asked.
  if (ms > 0 && ms < 1_000) throw new InvalidArgumentError('expected 0 (no expiry) or at least 1s.');
  return Math.floor(ms / 1_000);
}

/** `gantry token USER`: a JWT for a stored user, signed with the installation's key. */
export function registerToken(program: Command): void {
  withInstallationOptions(
    program
      .command('token')
      .description('print a JWT for a user, for Authorization: Bearer or X-Auth-Token (acts on the store directly; no server needed)')
      .argument('<username>', 'user the token is for (it carries their roles)')
      .option('--ttl <duration>', 'lifetime as a Go duration (90m, 1h30m, 24h; 0: no expiry) (default: auth.jwt.maxAgeSeconds)', ttlSeconds),
  ).action(async (username: string, flags: TokenFlags) => {
    await withInstallation(flags, async ({ config, identity }) => {
      const maxAge = config.auth.jwt.maxAgeSeconds;
      const ttl = flags.ttl ?? maxAge;
      // The server refuses a token older than the max age whatever it says of itself.
      if (maxAge > 0 && (ttl === 0 || ttl > maxAge)) {
        throw new GantryError(
          'invalid_input',
          `--ttl ${ttl === 0 ? '0 (no expiry)' : formatDuration(ttl * 1_000)} is longer than auth.jwt.maxAgeSeconds (${maxAge}): the server would refuse the token after ${formatDuration(maxAge * 1_000)}`,
        );
      }
      const issuedAt = Date.now();
      const token = await identity.issueJwt(username, ttl);
      const expiresAt = ttl === 0 ? null : isoTime(Math.floor(issuedAt / 1_000) * 1_000 + ttl * 1_000);
      if (flags.json) return printJson({ username, token, expiresAt });
      printText(token);
      note(expiresAt === null ? `JWT for ${username}; it does not expire` : `JWT for ${username}; valid for ${formatDuration(ttl * 1_000)}`);
    });
  });
}
