import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { parseScheduledJobSubmission } from './input/index.js';
import { ANONYMOUS } from './jobs.js';
import { parsePaging } from './paging.js';
import { torkPage, torkScheduledJob, torkScheduledJobSummary } from './render.js';

type IdParams = { Params: { id: string } };
const OK = { status: 'OK' } as const;

export function registerScheduledJobRoutes(app: FastifyInstance, core: Core): void {
  app.post('/scheduled-jobs', async (request) => {
    const submission = parseScheduledJobSubmission((request.body as Buffer | undefined) ?? '', request.headers['content-type']);
    return torkScheduledJobSummary(await core.schedules.create(submission.job, submission.cron, ANONYMOUS));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/scheduled-jobs', async (request) => {
    const paging = parsePaging(request.query, { size: 10, max: 20 });
    return torkPage(await core.schedules.list(paging), torkScheduledJobSummary);
  });

  app.get<IdParams>('/scheduled-jobs/:id', async (request) => torkScheduledJob(await core.schedules.get(request.params.id)));

  app.put<IdParams>('/scheduled-jobs/:id/pause', async (request) => {
    await core.schedules.pause(request.params.id);
    return OK;
  });

  app.put<IdParams>('/scheduled-jobs/:id/resume', async (request) => {
    await core.schedules.resume(request.params.id);
    return OK;
  });

  app.delete<IdParams>('/scheduled-jobs/:id', async (request) => {
    await core.schedules.remove(request.params.id);
    return OK;
  });
}
