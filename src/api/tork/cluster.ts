import type { FastifyInstance } from 'fastify';
import { GantryError } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import { adminRoute, publicRoute, userRoute } from '../auth/route-auth.js';
import { torkNode, torkQueue } from './render.js';

type NameParams = { Params: { name: string } };

/** The queues of Tork's own broker traffic (`broker/queues.go`); none of them holds tasks. */
const COORDINATOR_QUEUES = new Set(['pending', 'started', 'completed', 'error', 'heartbeat', 'jobs', 'logs', 'progress', 'redeliveries']);

/** Tork's `IsTaskQueue`: a queue users' tasks go to, not a coordinator queue nor a node's private `x-` queue. */
const isTaskQueue = (name: string): boolean => !COORDINATOR_QUEUES.has(name) && !name.startsWith('x-');

/** Health, nodes, queues and the dashboard metrics. */
export function registerClusterRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('tork');
  app.get('/health', publicRoute('tork'), async (_request, reply) => {
    try {
      await core.nodes.listActive();
      return { status: 'UP', version: core.version };
    } catch {
      return reply.status(503).send({ status: 'DOWN', version: core.version });
    }
  });

  app.get('/nodes', asUser, async () => (await core.nodes.listRecent()).map(torkNode));

  app.get('/queues', asUser, async () => (await core.nodes.listQueues()).map(torkQueue));

  app.get<NameParams>('/queues/:name', asUser, async (request) => torkQueue(await core.nodes.getQueue(request.params.name)));

  // Purging cancels other users' jobs: an admin's action.
  app.delete<NameParams>('/queues/:name', adminRoute('tork'), async (request, reply) => {
    // Tork checks the name before it looks the queue up: 400 even for a queue that does not exist.
    if (!isTaskQueue(request.params.name)) {
      throw new GantryError('invalid_input', `queue ${request.params.name} is not a task queue`);
    }
    await core.nodes.purgeQueue(request.params.name);
    return reply.status(200).send();
  });

  // Tork's dashboard reads JSON here; a Prometheus scraper asks for text and gets the counters.
  app.get('/metrics', asUser, async (request, reply) => {
    const accept = request.headers.accept ?? '';
    if (/text\/plain|application\/openmetrics-text/.test(accept) && !/application\/json/.test(accept)) {
      const counters = core.counters;
      counters.nodesUp.set((await core.nodes.listActive()).length);
      return reply.header('content-type', counters.registry.contentType).send(await counters.registry.metrics());
    }
    const [counts, nodes] = await Promise.all([core.jobs.counts(), core.nodes.listActive()]);
    const cpuPercent = nodes.length > 0 ? nodes.reduce((sum, node) => sum + node.cpuPercent, 0) / nodes.length : 0;
    return {
      jobs: { running: counts.jobsRunning },
      tasks: { running: counts.tasksRunning },
      nodes: { online: nodes.length, cpuPercent },
    };
  });
}
