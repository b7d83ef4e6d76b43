import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { registerClusterRoutes } from './cluster.js';
import { torkErrorHandler } from './errors.js';
import { registerJobRoutes } from './jobs.js';
import { registerScheduledJobRoutes } from './scheduled-jobs.js';
import { registerTaskRoutes } from './tasks.js';
import { registerUserRoutes } from './users.js';

/** The Tork API at the root: /health, /jobs, /tasks, /nodes, /queues, /scheduled-jobs, /users, /metrics. */
export async function torkPlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  app.setErrorHandler(torkErrorHandler);
  registerClusterRoutes(app, options.core);
  registerJobRoutes(app, options.core);
  registerTaskRoutes(app, options.core);
  registerScheduledJobRoutes(app, options.core);
  registerUserRoutes(app, options.core);
}
