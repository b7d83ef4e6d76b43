import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { publicRoute } from '../auth/route-auth.js';
import { validateZApp, ZAPP_FORMAT_VERSION } from './zapp/validate-zapp.js';
import { zoeJsonBody } from './zoe-body.js';

/**
 * Zoe's public routes that need no execution: `/info` and `/zapp_validate`.
 * zapp_validate takes the ZApp itself (as Zoe's own client sends it) or wrapped
 * in `{"application": …}` (as the page shows it).
 */
export function registerInfoRoutes(app: FastifyInstance, core: Core): void {
  app.get('/info', publicRoute('zoe'), async () => ({
    version: core.version,
    api_version: '0.7',
    application_format_version: ZAPP_FORMAT_VERSION,
    deployment_name: core.config.zoe.deploymentName,
  }));

  app.post('/zapp_validate', publicRoute('zoe'), async (request) => {
    const body = zoeJsonBody(request.body as Buffer | undefined, request.headers['content-type']);
    validateZApp(unwrapped(body));
    return { validation: 'ok' };
  });
}

/** `{"application": zapp}` (and nothing else) is the page's wrapper; anything else is the ZApp itself. */
function unwrapped(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === 'application') return (body as { application: unknown }).application;
  }
  return body;
}
