import type { Command } from 'commander';
import { clientFor, note, printText, stdoutIsTerminal, withClientOptions, type ClientFlags } from '../client-options.js';
import { NONE, formatAgo, stateCell } from '../output/format.js';
import { renderTable, type Cell } from '../output/table.js';
import type { Node } from '../tork-types.js';
import { registerNodeToken } from './nodes-token.js';

function nodeRow(node: Node, now: number): Cell[] {
  return [
    node.id,
    node.name ?? NONE,
    node.hostname ?? NONE,
    stateCell(node.status),
    node.cpuPercent === undefined ? NONE : node.cpuPercent.toFixed(1),
    String(node.taskCount ?? 0),
    formatAgo(node.lastHeartbeatAt, now),
  ];
}

/** `gantry nodes`: the workers the server knows, with their status; `gantry nodes token` makes tokens for new ones. */
export function registerNodes(program: Command): void {
  const nodes = withClientOptions(program.command('nodes').description('list the worker nodes with their status and last heartbeat'))
    // A word that is no subcommand reaches the action; name it for what it is, not as "too many arguments".
    .allowExcessArguments()
    .action(async (flags: ClientFlags, command: Command) => {
      const [word] = command.args;
      if (word !== undefined) command.error(`unknown command 'nodes ${word}'`, { code: 'commander.unknownCommand' });
      const answer = await clientFor(flags).nodes();
      if (flags.json) return printText(answer.text);
      if (answer.body.length === 0) return note('no nodes');
      const now = Date.now();
      const table = renderTable(
        ['ID', 'NAME', 'HOSTNAME', 'STATUS', 'CPU%', 'TASKS', 'LAST HEARTBEAT'],
        answer.body.map((node) => nodeRow(node, now)),
        { color: stdoutIsTerminal(), align: ['left', 'left', 'left', 'left', 'right', 'right', 'left'] },
      );
      process.stdout.write(table);
    });
  registerNodeToken(nodes);
}
