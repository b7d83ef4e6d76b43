import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { parsePaging } from './paging.js';
import { torkLogPart, torkPage, torkTask } from './render.js';

type IdParams = { Params: { id: string } };

export function registerTaskRoutes(app: FastifyInstance, core: Core): void {
  app.get<IdParams>('/tasks/:id', userRoute('tork'), async (request) => {
    const { task, job } = await core.jobs.getTask(request.params.id, principalOf(request));
    return torkTask(task, Object.values(job.secrets).filter(Boolean));
  });

  app.get<IdParams & { Querystring: Record<string, unknown> }>('/tasks/:id/log', userRoute('tork'), async (request) => {
    const paging = parsePaging(request.query, { size: 25, max: 100 });
    return torkPage(await core.jobs.taskLogs(request.params.id, paging, principalOf(request)), torkLogPart);
  });
}
