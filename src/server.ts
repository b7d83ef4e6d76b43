import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { RouteEntry } from './api/auth/authenticate.js';
import { buildHttpServer, webhookRenderer } from './api/server.js';
import type { GantryConfig } from './config/schema.js';
import { startCore, type Core } from './gantry.js';
import type { Runtime } from './runtime/runtime.js';

export interface RunningServer {
  core: Core;
  app: FastifyInstance;
  /** Every route with its access policy. */
  routes: RouteEntry[];
  /** Base URL, e.g. http://127.0.0.1:5001 */
  url: string;
  /** Stops taking requests, drains running work (within the grace period) and closes the store. */
  close(): Promise<void>;
}

export function createLogger(config: GantryConfig): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.env', '*.secrets', '*.password'], censor: '[REDACTED]' },
  });
}

/** Starts the whole server: core, in-process worker and HTTP on the configured address. */
export async function startServer(config: GantryConfig, options: { logger?: Logger; runtime?: Runtime } = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const core = await startCore({ config, logger, webhookRenderer, runtime: options.runtime });
  let app: FastifyInstance;
  let routes: RouteEntry[];
  try {
    ({ app, routes } = await buildHttpServer(core, logger));
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await core.stop();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // Pilots run beside the server: where it listens on every address, they reach it on loopback.
  const reachableHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : host;
  core.listeningAt(`${config.tls ? 'https' : 'http'}://${reachableHost}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    core,
    app,
    routes,
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    close: () => {
      closing ??= (async () => {
        // Drain first so running tasks can still report; then stop HTTP.
        await core.stop();
        await app.close();
      })();
      return closing;
    },
  };
}
