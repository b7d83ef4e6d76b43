import { InvalidArgumentError, type Command } from 'commander';
import type { WorkerToken } from '../../core/identity.js';
import { note, printText, stdoutIsTerminal } from '../client-options.js';
import { withInstallation, withInstallationOptions, type InstallationFlags } from '../installation.js';
import { NONE, formatTime } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { isoTime, printJson } from './admin-output.js';

interface NodeTokenFlags extends InstallationFlags {
  name?: string;
  list?: boolean;
  revoke?: string;
}

function tokenJson(token: WorkerToken): Record<string, unknown> {
  return { id: token.id, name: token.name, createdAt: isoTime(token.createdAt), revokedAt: isoTime(token.revokedAt) };
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}

async function act(flags: NodeTokenFlags): Promise<void> {
  await withInstallation(flags, async ({ identity }) => {
    if (flags.list) {
      const tokens = await identity.listWorkerTokens();
      if (flags.json) return printJson(tokens.map(tokenJson));
      if (tokens.length === 0) return note('no worker tokens');
      const rows = tokens.map((token) => [
        token.id,
        token.name,
        formatTime(isoTime(token.createdAt)),
        token.revokedAt === null ? NONE : formatTime(isoTime(token.revokedAt)),
      ]);
      process.stdout.write(renderTable(['ID', 'NAME', 'CREATED', 'REVOKED'], rows, { color: stdoutIsTerminal() }));
      return;
    }
    if (flags.revoke !== undefined) {
      await identity.revokeWorkerToken(flags.revoke);
      if (flags.json) return printJson({ id: flags.revoke, revoked: true });
      return note(`revoked worker token ${flags.revoke}`);
    }
    const { token, workerToken } = await identity.createWorkerToken(flags.name ?? 'worker');
    if (flags.json) return printJson({ token, ...tokenJson(workerToken) });
    note(`created worker token ${workerToken.id} (${workerToken.name}); the token, shown only now:`);
    printText(token);
  });
}

/**
 * `gantry nodes token`: tokens that let a worker node join the installation.
 * A subcommand of the client command `gantry nodes`, which still lists nodes.
 */
export function registerNodeToken(nodes: Command): void {
  withInstallationOptions(
    nodes
      .command('token')
      .description('make a worker token and print it once; --list shows the tokens, --revoke ID revokes one (acts on the store directly)')
      .option('--name <name>', 'what the token is for, such as the node it is for (default: worker)', nonEmpty)
      .option('--list', 'list the worker tokens instead (never the tokens themselves)')
      .option('--revoke <id>', 'revoke the worker token with this id instead'),
  ).action(async (flags: NodeTokenFlags, command: Command) => {
    if ([flags.list === true, flags.revoke !== undefined, flags.name !== undefined].filter(Boolean).length > 1) {
      command.error('choose one of --name, --list and --revoke', { code: 'commander.conflictingOption' });
    }
    await act(flags);
  });
}
