import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { registerAdminRoutes } from './admin.js';
import { registerAuthRoutes } from './auth.js';
import { zoeErrorHandler } from './errors.js';
import { registerCors } from './cors.js';
import { registerExecutionRoutes } from './executions.js';
import { registerInfoRoutes } from './info.js';
import { registerServiceRoutes } from './services.js';

/** The Zoe API, mounted under /api/0.7: info and validation, executions, services and their logs, discovery, statistics, users, roles and quotas, and its identity routes. */
export async function zoePlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  app.setErrorHandler(zoeErrorHandler);
  registerCors(app);
  registerAuthRoutes(app, options.core);
  registerInfoRoutes(app, options.core);
  registerExecutionRoutes(app, options.core);
  registerServiceRoutes(app, options.core);
  registerAdminRoutes(app, options.core);
}
