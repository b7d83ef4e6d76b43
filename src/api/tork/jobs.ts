import type { FastifyInstance } from 'fastify';
import { isGantryError } from '../../core/errors.js';
import type { Job } from '../../core/model.js';
import type { Core } from '../../gantry.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { parseJobSubmission } from './input/index.js';
import { parsePaging } from './paging.js';
import { torkJob, torkJobSummary, torkLogPart, torkPage, type TorkSchedules } from './render.js';

type IdParams = { Params: { id: string } };
type Query = { Querystring: Record<string, unknown> };

const OK = { status: 'OK' } as const;

/**
 * The cron of each schedule these jobs were started by, for Tork's
 * `schedule: {id, cron}`. A schedule deleted since is left out (its jobs keep the id).
 */
async function schedulesOf(core: Core, jobs: readonly Job[]): Promise<TorkSchedules> {
  const ids = [...new Set(jobs.flatMap((job) => (job.scheduledJobId ? [job.scheduledJobId] : [])))];
  const crons = new Map<string, string>();
  await Promise.all(
    ids.map(async (id) => {
      try {
        crons.set(id, (await core.schedules.get(id)).cron);
      } catch (error) {
        if (!isGantryError(error) || error.code !== 'not_found') throw error;
      }
    }),
  );
  return crons;
}

export function registerJobRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('tork');

  app.post('/jobs', asUser, async (request) => {
    const actor = principalOf(request);
    const submission = parseJobSubmission(request.body as Buffer | undefined ?? '', request.headers['content-type']);
    const job = await core.jobs.submitPipeline(submission.job, { owner: actor.username });
    if (!submission.wait) return torkJobSummary(job);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    await core.jobs.waitForEnd(job.id, submission.wait.timeoutMs, actor, abort.signal);
    const { job: ended, tasks } = await core.jobs.getWithTasks(job.id, actor);
    return torkJob(ended, tasks, await schedulesOf(core, [ended]));
  });

  app.get<Query>('/jobs', asUser, async (request) => {
    const paging = parsePaging(request.query, { size: 10, max: 20 });
    const page = await core.jobs.list({ ...paging, kind: 'pipeline', topLevelOnly: false }, principalOf(request));
    const schedules = await schedulesOf(core, page.items);
    return torkPage(page, (job) => torkJobSummary(job, schedules));
  });

  app.get<IdParams>('/jobs/:id', asUser, async (request) => {
    const { job, tasks } = await core.jobs.getWithTasks(request.params.id, principalOf(request));
    return torkJob(job, tasks, await schedulesOf(core, [job]));
  });

  app.get<IdParams & Query>('/jobs/:id/log', asUser, async (request) => {
    const paging = parsePaging(request.query, { size: 25, max: 100 });
    return torkPage(await core.jobs.jobLogs(request.params.id, paging, principalOf(request)), torkLogPart);
  });

  // Gantry extension: the job's log as it is written, one JSON log part per line,
  // then a last line with the job's final state. See docs/tork.md.
  app.get<IdParams>('/jobs/:id/log/stream', asUser, async (request, reply) => {
    const actor = principalOf(request);
    await core.jobs.get(request.params.id, actor);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const ended = await core.jobs.followLogs(
      request.params.id,
      (part) => reply.raw.write(`${JSON.stringify(torkLogPart(part))}\n`),
      abort.signal,
      actor,
    );
    reply.raw.end(`${JSON.stringify({ job: torkJobSummary(ended) })}\n`);
    return reply;
  });

  app.put<IdParams>('/jobs/:id/cancel', asUser, async (request) => {
    await core.jobs.cancel(request.params.id, principalOf(request));
    return OK;
  });

  app.put<IdParams>('/jobs/:id/restart', asUser, async (request) => {
    await core.jobs.restart(request.params.id, principalOf(request));
    return OK;
  });
}
