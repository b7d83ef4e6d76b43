import type { Command } from 'commander';
import { clientFor, note, printText, stdoutIsTerminal, withClientOptions, type ClientFlags } from '../client-options.js';
import { renderTable } from '../output/table.js';

/** `gantry queues`: every broker queue with its backlog. */
export function registerQueues(program: Command): void {
  withClientOptions(program.command('queues').description('list the queues with their size, subscribers and unacknowledged tasks')).action(
    async (flags: ClientFlags) => {
      const answer = await clientFor(flags).queues();
      if (flags.json) return printText(answer.text);
      if (answer.body.length === 0) return note('no queues');
      const rows = answer.body.map((queue) => [queue.name, String(queue.size), String(queue.subscribers), String(queue.unacked)]);
      const table = renderTable(['NAME', 'SIZE', 'SUBSCRIBERS', 'UNACKED'], rows, {
        color: stdoutIsTerminal(),
        align: ['left', 'right', 'right', 'right'],
      });
      process.stdout.write(table);
    },
  );
}
