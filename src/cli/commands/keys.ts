import type { Command } from 'commander';
import type { ApiKey } from '../../core/identity.js';
import { note, printText, stdoutIsTerminal } from '../client-options.js';
import { withInstallation, withInstallationOptions, type InstallationFlags } from '../installation.js';
import { NONE, formatTime } from '../output/format.js';
import { renderTable, type Cell } from '../output/table.js';
import { isoTime, printJson } from './admin-output.js';

interface AddFlags extends InstallationFlags {
  name?: string;
}

type ListedKey = ApiKey & { username: string };

/** A key as `--json` shows it: what identifies it, never the key itself (only its digest is stored). */
function keyJson(key: ListedKey): Record<string, unknown> {
  return {
    id: key.id,
    prefix: key.prefix,
    user: key.username,
    name: key.name,
    createdAt: isoTime(key.createdAt),
    lastUsedAt: isoTime(key.lastUsedAt),
    revokedAt: isoTime(key.revokedAt),
  };
}

const timeCell = (ms: number | null): string => (ms === null ? NONE : formatTime(isoTime(ms)));

function keyRow(key: ListedKey): Cell[] {
  return [
    key.id,
    `${key.prefix}…`,
    key.username,
    key.name || NONE,
    timeCell(key.createdAt),
    timeCell(key.lastUsedAt),
    key.revokedAt === null ? NONE : { text: timeCell(key.revokedAt), style: 'yellow' },
  ];
}

/** `gantry keys add|ls|rm`: API keys (`zb_live_…`), sent as `Authorization: Bearer` to any dialect. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description("manage users' API keys (acts on the store directly; no server needed)");

  withInstallationOptions(
    keys
      .command('add')
      .description('make a new API key for a user and print it, once')
      .argument('<username>', 'user the key acts as (with their roles)')
      .option('--name <name>', 'what the key is for, to tell keys apart (default: the username)'),
  ).action((username: string, flags: AddFlags) =>
    withInstallation(flags, async ({ identity }) => {
      const { key, apiKey } = await identity.createApiKey(username, flags.name ?? username);
      if (flags.json) return printJson({ key, ...keyJson({ ...apiKey, username }) });
      note(`created API key ${apiKey.id} for ${username}; the key, shown only now:`);
      printText(key);
    }),
  );

  withInstallationOptions(keys.command('ls').alias('list').description("list API keys, everyone's or one user's").argument('[username]', 'only this user\'s keys')).action(
    (username: string | undefined, flags: InstallationFlags) =>
      withInstallation(flags, async ({ identity }) => {
        const listed = await identity.listApiKeys(username);
        if (flags.json) return printJson(listed.map(keyJson));
        if (listed.length === 0) return note(username === undefined ? 'no API keys' : `no API keys for ${username}`);
        process.stdout.write(
          renderTable(['ID', 'PREFIX', 'USER', 'NAME', 'CREATED', 'LAST USED', 'REVOKED'], listed.map(keyRow), { color: stdoutIsTerminal() }),
        );
      }),
  );

  withInstallationOptions(keys.command('rm').alias('revoke').description('revoke an API key; servers refuse it within 5 seconds').argument('<id>', 'key id, as keys ls shows it')).action(
    (id: string, flags: InstallationFlags) =>
      withInstallation(flags, async ({ identity }) => {
        await identity.revokeApiKey(id);
        if (flags.json) return printJson({ id, revoked: true });
        note(`revoked API key ${id}`);
      }),
  );
}
