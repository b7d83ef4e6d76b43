import type { FastifyInstance } from 'fastify';
import { notFound } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import { principalOf, publicRoute, userRoute } from '../auth/route-auth.js';
import { zoeId } from './executions.js';
import { zoeService } from './render-app.js';

/** Zoe's service, discovery and statistics routes. See docs/zoe.md. */
export function registerServiceRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('zoe');

  app.get<{ Params: { id: string } }>('/service/:id', asUser, async (request) => {
    const { execution, instance, task } = await core.apps.service(zoeId(request.params.id, 'No such service'), principalOf(request));
    return zoeService(execution, instance, task);
  });

  // The instance's output from its start, one `<timestamp> <line>` per line (Zoe's client splits at the first space), until it exits.
  app.get<{ Params: { id: string } }>('/service/logs/:id', asUser, async (request, reply) => {
    const actor = principalOf(request);
    const id = zoeId(request.params.id, 'No such service');
    const { instance } = await core.apps.service(id, actor);
    if (!instance.taskId) throw notFound('Service log not available');
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    await core.apps.followServiceLog(
      id,
      (part) => {
        const stamp = new Date(part.createdAt).toISOString();
        const text = part.contents.endsWith('\n') ? part.contents : `${part.contents}\n`;
        reply.raw.write(text.split('\n').slice(0, -1).map((line) => `${stamp} ${line}\n`).join(''));
      },
      abort.signal,
      actor,
    );
    reply.raw.end();
    return reply;
  });

  app.get<{ Params: { id: string; group: string } }>('/discovery/by_group/:id/:group', asUser, async (request) => {
    const id = zoeId(request.params.id, 'No such execution');
    const names = await core.apps.discovery(id, request.params.group, principalOf(request));
    return { service_type: request.params.group, execution_id: String(id), dns_names: names };
  });

  // Both the seed page's two fields and upstream Zoe's scheduler statistics.
  app.get('/statistics/scheduler', publicRoute('zoe'), async () => {
    const stats = await core.apps.statistics();
    return {
      queue_length: stats.queued.length,
      termination_threads_count: stats.cleaningUp.length,
      running_length: stats.running.length,
      termination_queue_length: stats.cleaningUp.length,
      queue: stats.queued.map(Number),
      running_queue: stats.running.map(Number),
      termination_queue: stats.cleaningUp.map(Number),
    };
  });
}
