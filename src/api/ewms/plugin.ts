import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { publicRoute } from '../auth/route-auth.js';
import { ewmsErrorHandler } from './errors.js';
import { registerQueueRoutes } from './mqs.js';
import { ewmsOpenApi } from './openapi.js';
import { registerTmsRoutes } from './tms.js';
import { registerWorkflowRoutes } from './workflows.js';

/** The EWMS API (its WMS routes and its MQS profile route) and Gantry's queue routes, under /v1. */
export async function ewmsPlugin(app: FastifyInstance, options: { core: Core }): Promise<void> {
  const { core } = options;
  app.setErrorHandler(ewmsErrorHandler);
  registerWorkflowRoutes(app, core);
  registerTmsRoutes(app, core);
  registerQueueRoutes(app, core, core.config.ewms.visibilitySeconds);
  // EWMS serves its OpenAPI document to anyone; so does Gantry, its own for these routes.
  app.get('/v1/schema/openapi', publicRoute('ewms'), async () => ewmsOpenApi(core.version));
}
