import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { parseScheduledJobSubmission } from './input/index.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { parsePaging } from './paging.js';
import { torkPage, torkScheduledJob, torkScheduledJobSummary } from './render.js';

type IdParams = { Params: { id: string } };
const OK = { status: 'OK' } as const;

export function registerScheduledJobRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('tork');

  app.post('/scheduled-jobs', asUser, async (request) => {
    const submission = parseScheduledJobSubmission((request.body as Buffer | undefined) ?? '', request.headers['content-type']);
    return torkScheduledJobSummary(await core.schedules.create(submission.job, submission.cron, principalOf(request).username));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/scheduled-jobs', asUser, async (request) => {
    const paging = parsePaging(request.query, { size: 10, max: 20 });
    return torkPage(await core.schedules.list(paging, principalOf(request)), torkScheduledJobSummary);
  });

  app.get<IdParams>('/scheduled-jobs/:id', asUser, async (request) => torkScheduledJob(await core.schedules.get(request.params.id, principalOf(request))));

  app.put<IdParams>('/scheduled-jobs/:id/pause', asUser, async (request) => {
    await core.schedules.pause(request.params.id, principalOf(request));
    return OK;
  });

  app.put<IdParams>('/scheduled-jobs/:id/resume', asUser, async (request) => {
    await core.schedules.resume(request.params.id, principalOf(request));
    return OK;
  });

  app.delete<IdParams>('/scheduled-jobs/:id', asUser, async (request) => {
    await core.schedules.remove(request.params.id, principalOf(request));
    return OK;
  });
}
