import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { GantryError } from '../core/errors.js';
import type { SqlDialect } from './dialect.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-identity.js';
import * as m0003 from './migrations/0003-apps.js';
import * as m0004 from './migrations/0004-quotas.js';
import * as m0005 from './migrations/0005-app-roles.js';
import * as m0006 from './migrations/0006-job-records.js';
import * as m0007 from './migrations/0007-metric-samples.js';
import * as m0008 from './migrations/0008-node-states.js';
import * as m0009 from './migrations/0009-metric-chunks.js';
import * as m0010 from './migrations/0010-binary-chunks.js';
import * as m0011 from './migrations/0011-workflows.js';

type MigrationModule = { up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> };

/** Numbered, in order. Migrations are code and run at start-up. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001-initial': m0001,
  '0002-identity': m0002,
  '0003-apps': m0003,
  '0004-quotas': m0004,
  '0005-app-roles': m0005,
  '0006-job-records': m0006,
  '0007-metric-samples': m0007,
  '0008-node-states': m0008,
  '0009-metric-chunks': m0009,
  '0010-binary-chunks': m0010,
  '0011-workflows': m0011,
};

class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, module] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db) => module.up(db, this.dialect) };
    }
    return out;
  }
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new CodeMigrations(dialect),
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const message = (error as Error).message ?? String(error);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // No migration ran: the database could not be reached or read at all.
    if (failed === undefined) throw new Error(message, { cause: error });
    throw new GantryError('unavailable', `database migration ${failed} failed: ${message}`, { cause: error });
  }
}
