import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { registerAuthRoutes } from './auth.js';
import { zoeErrorHandler } from './errors.js';
import { registerCors } from './cors.js';
import { registerInfoRoutes } from './info.js';

/** The Zoe API, mounted under /api/0.7: so far /info, /zapp_validate and its identity routes (/oauth/token, /oauth/revoke/:token, /login). */
export async function zoePlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  app.setErrorHandler(zoeErrorHandler);
  registerCors(app);
  registerAuthRoutes(app, options.core);
  registerInfoRoutes(app, options.core);
}
