import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { registerClusterRoutes } from './cluster-routes.js';
import { cockpitErrorHandler } from './errors.js';
import { registerJobRoutes } from './jobs.js';

/** The ClusterCockpit REST API: /api/jobs/…, /api/tags/, /api/users/, /api/clusters/ and /userapi/jobs/…. */
export async function cockpitPlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  app.setErrorHandler(cockpitErrorHandler);
  registerJobRoutes(app, options.core);
  registerClusterRoutes(app, options.core);
}
