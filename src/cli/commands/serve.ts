import type { Command } from 'commander';
import type { Logger } from 'pino';
import { configSource, loadConfig } from '../../config/load.js';
import type { GantryConfig } from '../../config/schema.js';
import { createLogger, startServer, type RunningServer } from '../../server.js';
import { firstAdminNotice } from '../first-admin.js';
import { checkCanListen, describeListenError, lockDataDir, prepareDataDir, type ListenTarget } from '../serve-checks.js';

interface ServeFlags {
  host?: string;
  port?: string;
  data?: string;
  database?: string;
  config?: string;
  worker?: boolean;
  mq?: string;
}

/**
 * Starts the server. A failed start stops the core again, and some of what that
 * waits for does not hold Node's event loop open: without a timer of its own the
 * process could exit (status 13) before the error is reported.
 */
async function start(config: GantryConfig, logger: Logger, target: ListenTarget): Promise<RunningServer> {
  const hold = setInterval(() => undefined, 60_000);
  try {
    return await startServer(config, { logger });
  } catch (error) {
    const listen = describeListenError(error, target);
    if (listen) throw listen;
    throw error;
  } finally {
    clearInterval(hold);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the server with its in-process worker (SQLite in the data directory unless --database is given)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free one (default 5001)')
    .option('--data <dir>', 'data directory (default .gantry)')
    .option('--database <url>', 'postgres://… or sqlite:<file> (default SQLite in the data directory)')
    .option('--config <file>', 'configuration file (default GANTRY_CONFIG, else gantry.yaml when present)')
    .option('--no-worker', 'do not start the in-process worker')
    .option('--mq <url>', "amqp://… broker for event workflows' queues (default Gantry's own queues)")
    .action(async (flags: ServeFlags) => {
      const config = loadConfig({
        commandLine: {
          host: flags.host,
          port: flags.port,
          data: flags.data,
          database: flags.database,
          worker: flags.worker === false ? false : undefined,
          mq: flags.mq,
        },
        configFile: flags.config,
      });
      const target: ListenTarget = {
        host: config.host,
        port: config.port,
        hostFrom: configSource(config, 'host'),
        portFrom: configSource(config, 'port'),
      };
      prepareDataDir(config.dataDir, configSource(config, 'dataDir'));
      lockDataDir(config.dataDir, configSource(config, 'dataDir'));
      await checkCanListen(target);
      const logger = createLogger(config);
      const server = await start(config, logger, target);
      logger.info({ url: server.url, dataDir: config.dataDir, database: server.core.store.location }, 'gantry listening');
      // The log is for machines; the person who just started a new installation reads this line.
      const { firstAdmin } = server.core;
      if (firstAdmin) process.stderr.write(firstAdminNotice(firstAdmin, configSource(config, 'auth.adminPassword')));
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
