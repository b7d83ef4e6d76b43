#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { GANTRY_VERSION } from '../version.js';
import { registerClientCommands } from './commands/client.js';
import { registerKeys } from './commands/keys.js';
import { registerMq } from './commands/mq.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { registerUsers } from './commands/users.js';
import { exitCodeFor } from './exit-codes.js';

const program = new Command()
  .name('gantry')
  .description('Gantry: one job orchestrator, five job APIs')
  .version(GANTRY_VERSION)
  // Every message of gantry starts `gantry: `; commander's start `error: `.
  .configureOutput({ outputError: (text, write) => write(`gantry: ${text.replace(/^error: /, '')}`) })
  .exitOverride()
  // A command's options belong to it, not to its parent: `gantry nodes token --json` is the token's
  // --json, while `gantry nodes --json` keeps listing nodes.
  .enablePositionalOptions();

registerServe(program);
registerClientCommands(program);
// Administration of an installation, straight in its store: no server needed.
registerUsers(program);
registerToken(program);
registerKeys(program);
registerMq(program);

/** After a usage error, one line that says where the usage is, instead of the whole help text. */
function pointToHelp(command: Command, path: string[]): void {
  const names = [...path, command.name()];
  command.showHelpAfterError(`(see: ${names.join(' ')} --help)`);
  for (const child of command.commands) pointToHelp(child, names);
}
pointToHelp(program, []);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = exitCodeFor(error);
  // Commander has already said what was wrong (or printed the help asked for).
  if (!(error instanceof CommanderError)) {
    process.stderr.write(`gantry: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(code);
}
