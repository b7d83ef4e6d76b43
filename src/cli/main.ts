#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isGantryError } from '../core/errors.js';
import { GANTRY_VERSION } from '../version.js';
import { registerClientCommands } from './commands/client.js';
import { registerServe } from './commands/serve.js';

const program = new Command()
  .name('gantry')
  .description('Gantry: one job orchestrator, five job APIs')
  .version(GANTRY_VERSION)
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerClientCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const message = isGantryError(error) || error instanceof Error ? error.message : String(error);
  process.stderr.write(`gantry: ${message}\n`);
  process.exit(isGantryError(error) && error.code === 'invalid_input' ? 2 : 1);
}
