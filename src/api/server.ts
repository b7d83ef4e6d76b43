import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Core } from '../gantry.js';
import { toGantryError } from './errors.js';
import { torkPlugin } from './tork/plugin.js';
import { torkJobSummary, torkTaskSummary } from './tork/render.js';

/**
 * How webhook bodies render jobs and tasks: pipelines are Tork's, so Tork's shapes,
 * and as Tork calls its webhooks with a `JobSummary` or a `TaskSummary`.
 */
export const webhookRenderer = {
  job: (job: Parameters<typeof torkJobSummary>[0]) => torkJobSummary(job),
  task: (task: Parameters<typeof torkTaskSummary>[0]) => torkTaskSummary(task),
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Builds the HTTP app with every dialect mounted; listening is the caller's job
 * (tests listen on 127.0.0.1:0). Bodies reach handlers as raw buffers: each
 * dialect parses its own formats so it can report errors in its own words.
 */
export async function buildHttpServer(core: Core, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: core.config.api.bodyLimitBytes,
    // Per-request lines would double the log volume of a busy server; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Log followers stream until their job ends; on shutdown they must not hold the server open.
    forceCloseConnections: true,
    // Tork clients send paths with and without trailing slashes.
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      void reply.status(405).header('allow', allowed.join(', ')).send({ message: 'Method Not Allowed' });
      return;
    }
    void reply.status(404).send({ message: 'Not Found' });
  });
  app.setErrorHandler((error, request, reply) => {
    const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
    if (gantryError.code === 'internal') request.log.error({ err: error }, 'request failed');
    void reply.status(gantryError.statusHint).send({ message: gantryError.message });
  });

  await app.register(torkPlugin, { core });
  return app as unknown as FastifyInstance;
}
