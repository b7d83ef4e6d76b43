import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { GantryError } from '../core/errors.js';
import type { Core } from '../gantry.js';
import { registerAuthentication, type RouteEntry } from './auth/authenticate.js';
import { toGantryError } from './errors.js';
import { torkPlugin } from './tork/plugin.js';
import { torkJobSummary, torkTaskSummary } from './tork/render.js';
import { zerobootPlugin } from './zeroboot/plugin.js';
import { zoePlugin } from './zoe/plugin.js';
import { cockpitPlugin } from './cockpit/plugin.js';
import { isEwmsPath } from './ewms/errors.js';
import { ewmsPlugin } from './ewms/plugin.js';
import { QueueTokens } from '../services/workflows/queue-tokens.js';

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
export async function buildHttpServer(core: Core, logger: Logger): Promise<{ app: FastifyInstance; routes: RouteEntry[] }> {
  const { config } = core;
  refuseAnonymousInTheOpen(config);
  const app = Fastify({
    ...(config.tls ? { https: { cert: readTlsFile(config.tls.certFile, 'tls.certFile'), key: readTlsFile(config.tls.keyFile, 'tls.keyFile') } } : {}),
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
    // EWMS's clients read `{"code", "error"}`; every other dialect `{"message"}`.
    const body = (status: number, reason: string) => (isEwmsPath(path) ? { code: status, error: reason } : { message: reason });
    if (allowed.length > 0) {
      void reply.status(405).header('allow', allowed.join(', ')).send(body(405, 'Method Not Allowed'));
      return;
    }
    void reply.status(404).send(body(404, 'Not Found'));
  });
  app.setErrorHandler((error, request, reply) => {
    const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
    if (gantryError.code === 'internal') request.log.error({ err: error }, 'request failed');
    void reply.status(gantryError.statusHint).send({ message: gantryError.message });
  });

  await app.register(fastifyCookie, { secret: core.identity.cookieSecret });
  const routes = registerAuthentication(app as unknown as FastifyInstance, core.identity, {
    anonymous: config.auth.anonymous,
    apiAllowedIps: config.auth.apiAllowedIps,
    loopbackOnly: LOOPBACK.test(config.host),
    queueTokenWorkflow: (token) => core.queueTokens.workflowOf(token),
    isQueueToken: (token) => QueueTokens.looksLikeOne(token),
  });
  await app.register(torkPlugin, { core });
  await app.register(zoePlugin, { core, prefix: '/api/0.7' });
  await app.register(zerobootPlugin, { core });
  await app.register(cockpitPlugin, { core });
  await app.register(ewmsPlugin, { core });
  return { app: app as unknown as FastifyInstance, routes };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Anonymous access hands a user's rights to anyone who can reach the port:
 * allowed on loopback, or behind TLS, never in the clear on a network.
 */
function refuseAnonymousInTheOpen(config: Core['config']): void {
  const mapped = Object.entries(config.auth.anonymous).filter(([, user]) => user !== undefined);
  if (mapped.length === 0 || config.tls || LOOPBACK.test(config.host)) return;
  throw new GantryError(
    'invalid_input',
    `config auth.anonymous: anonymous access (${mapped.map(([dialect, user]) => `${dialect} as ${user}`).join(', ')}) is refused while listening on ${config.host} without TLS; set tls.certFile and tls.keyFile, or listen on loopback`,
  );
}

function readTlsFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new GantryError('invalid_input', `config ${key}: cannot read ${path}: ${(error as Error).message}`);
  }
}
