import type { Command } from 'commander';

/** Client commands (run, jobs, nodes, queues) talk to a server over its HTTP API. */
export function registerClientCommands(_program: Command): void {}
