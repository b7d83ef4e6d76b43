import type { Command } from 'commander';
import { registerJobs } from './jobs.js';
import { registerNodes } from './nodes.js';
import { registerQueues } from './queues.js';
import { registerRun } from './run.js';

/** Client commands (run, jobs, nodes, queues) talk to a server over its HTTP API. */
export function registerClientCommands(program: Command): void {
  registerRun(program);
  registerJobs(program);
  registerNodes(program);
  registerQueues(program);
}
