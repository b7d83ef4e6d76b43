import type { Command } from 'commander';
import { configSource, loadConfig } from '../config/load.js';
import type { GantryConfig } from '../config/schema.js';
import { IdentityService } from '../services/identity/identity-service.js';
import { identityOptions } from '../services/identity/identity-options.js';
import { openStore } from '../store/open.js';
import { ensureFirstAdmin } from '../services/identity/first-admin.js';
import { firstAdminNotice } from './first-admin.js';
import { prepareDataDir } from './serve-checks.js';

/** Flags of the commands that act on an installation directly (users, token, keys, nodes token). */
export interface InstallationFlags {
  data?: string;
  database?: string;
  config?: string;
  json?: boolean;
}

/** An installation opened for administration: its configuration and identity service. */
export interface Installation {
  config: GantryConfig;
  identity: IdentityService;
}

/** Adds `--data`, `--database`, `--config` and `--json` to a command that acts on an installation. */
export function withInstallationOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data directory of the installation (default: GANTRY_DATA, dataDir of gantry.yaml, else .gantry)')
    .option('--database <url>', 'postgres://… or sqlite:<file> (default: GANTRY_DATABASE_URL, database of gantry.yaml, else SQLite in the data directory)')
    .option('--config <file>', 'configuration file (default: GANTRY_CONFIG, else gantry.yaml when present)')
    .option('--json', 'print JSON instead of a human summary');
}

/** Identity messages worth a person's attention; routine ones (failed logins) are for server logs. */
const cliLogger = {
  info: (): void => undefined,
  warn: (_fields: object, message: string): void => void process.stderr.write(`gantry: ${message}\n`),
};

/**
 * Opens the installation the flags name, the way `gantry serve` would find it
 * (flags, GANTRY_*, the config file), runs `act` on its identity service and
 * closes the store again. No server is needed, and a running one is no
 * obstacle: SQLite runs in WAL mode with a busy timeout and PostgreSQL takes
 * many clients, so the serve lock is not taken. A server trusts a credential it
 * has checked for a few seconds, so a revoke made here reaches it within those.
 */
export async function withInstallation<T>(flags: InstallationFlags, act: (installation: Installation) => Promise<T>): Promise<T> {
  const config = loadConfig({ commandLine: { data: flags.data, database: flags.database }, configFile: flags.config });
  // The SQLite file lives in the data directory: report a bad one as the setting it is.
  if (config.database === undefined || config.database.startsWith('sqlite:')) prepareDataDir(config.dataDir, configSource(config, 'dataDir'));
  const store = await openStore({ database: config.database, dataDir: config.dataDir, poolSize: 2 });
  try {
    const identity = new IdentityService(store, identityOptions(config), cliLogger);
    await identity.start();
    await bootstrapAdmin(config, identity);
    return await act({ config, identity });
  } finally {
    await store.close();
  }
}

/**
 * An installation always starts with `admin`, as `gantry serve` makes it on
 * first start: a user added here before any server ran would otherwise leave
 * the installation without an administrator, since a server makes admin only
 * when there are no users at all.
 */
async function bootstrapAdmin(config: GantryConfig, identity: IdentityService): Promise<void> {
  const made = await ensureFirstAdmin(identity, config.dataDir, config.auth.adminPassword);
  if (made) process.stderr.write(firstAdminNotice(made, configSource(config, 'auth.adminPassword')));
}
