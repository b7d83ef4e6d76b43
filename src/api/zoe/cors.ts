import type { FastifyInstance } from 'fastify';
import { publicRoute } from '../auth/route-auth.js';

const ALLOWED_HEADERS = 'x-requested-with, Content-Type, origin, authorization, accept, client-security-token';

/**
 * Zoe's CORS answers: every response of the Zoe API allows the asking origin
 * (or any) with credentials, and `OPTIONS` on any of its paths is 204, so
 * Zoe's web interface and notebooks served elsewhere can call it. Zoe lists
 * `OPTIONS, GET, DELETE`; POST is added, without which a browser could not
 * start an execution from another origin.
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = request.headers.origin;
    void reply.headers({
      'access-control-allow-origin': typeof origin === 'string' && origin !== '' ? origin : '*',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'OPTIONS, GET, POST, DELETE',
      'access-control-max-age': '1000',
      'access-control-allow-headers': ALLOWED_HEADERS,
    });
    if (typeof origin === 'string' && origin !== '') void reply.header('vary', 'Origin');
    return payload;
  });
  app.options('/*', publicRoute('zoe'), async (_request, reply) => reply.status(204).send());
}
