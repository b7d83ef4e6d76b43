import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { createLogger, startServer } from '../../server.js';

interface ServeFlags {
  host?: string;
  port?: string;
  data?: string;
  database?: string;
  config?: string;
  worker?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the server with its in-process worker (SQLite in the data directory unless --database is given)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 5001)')
    .option('--data <dir>', 'data directory (default .gantry)')
    .option('--database <url>', 'postgres://… or sqlite:<file>')
    .option('--config <file>', 'configuration file (default gantry.yaml if present)')
    .option('--no-worker', 'do not start the in-process worker')
    .action(async (flags: ServeFlags) => {
      const overrides: ConfigInput = {};
      if (flags.host) overrides.host = flags.host;
      if (flags.port) overrides.port = Number(flags.port);
      if (flags.data) overrides.dataDir = flags.data;
      if (flags.database) overrides.database = flags.database;
      if (flags.worker === false) overrides.worker = { enabled: false };
      const config = loadConfig({ flags: overrides, configFile: flags.config });
      const logger = createLogger(config);
      const server = await startServer(config, { logger });
      logger.info({ url: server.url, dataDir: config.dataDir, database: server.core.store.location }, 'gantry listening');
      let signals = 0;
      const shutdown = (signal: NodeJS.Signals): void => {
        signals++;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        logger.info({ signal, graceMs: config.shutdown.graceMs }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    });
}
