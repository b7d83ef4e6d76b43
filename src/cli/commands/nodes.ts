import type { Command } from 'commander';
import { clientFor, note, printText, stdoutIsTerminal, withClientOptions, type ClientFlags } from '../client-options.js';
import { NONE, formatAgo, stateCell } from '../output/format.js';
import { renderTable, type Cell } from '../output/table.js';
import type { Node } from '../tork-types.js';

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

/** `gantry nodes`: the workers the server knows, with their status. */
export function registerNodes(program: Command): void {
  withClientOptions(program.command('nodes').description('list the worker nodes with their status and last heartbeat')).action(async (flags: ClientFlags) => {
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
}
