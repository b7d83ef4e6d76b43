import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { parseJobSubmission } from './input/index.js';
import { parsePaging } from './paging.js';
import { torkJob, torkJobSummary, torkLogPart, torkPage } from './render.js';

type IdParams = { Params: { id: string } };
type Query = { Querystring: Record<string, unknown> };

const OK = { status: 'OK' } as const;

/** The owner of work submitted without credentials (identity comes in with authentication). */
export const ANONYMOUS = 'anonymous';

export function registerJobRoutes(app: FastifyInstance, core: Core): void {
  app.post('/jobs', async (request) => {
    const submission = parseJobSubmission(request.body as Buffer | undefined ?? '', request.headers['content-type']);
    const job = await core.jobs.submitPipeline(submission.job, { owner: ANONYMOUS });
    if (!submission.wait) return torkJobSummary(job);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    await core.jobs.waitForEnd(job.id, submission.wait.timeoutMs, abort.signal);
    const { job: ended, tasks } = await core.jobs.getWithTasks(job.id);
    return torkJob(ended, tasks);
  });

  app.get<Query>('/jobs', async (request) => {
    const paging = parsePaging(request.query, { size: 10, max: 20 });
    const page = await core.jobs.list({ ...paging, kind: 'pipeline', topLevelOnly: false });
    return torkPage(page, torkJobSummary);
  });

  app.get<IdParams>('/jobs/:id', async (request) => {
    const { job, tasks } = await core.jobs.getWithTasks(request.params.id);
    return torkJob(job, tasks);
  });

  app.get<IdParams & Query>('/jobs/:id/log', async (request) => {
    const paging = parsePaging(request.query, { size: 25, max: 100 });
    return torkPage(await core.jobs.jobLogs(request.params.id, paging), torkLogPart);
  });

  // Gantry extension: the job's log as it is written, one JSON log part per line,
  // then a last line with the job's final state. See docs/tork.md.
  app.get<IdParams>('/jobs/:id/log/stream', async (request, reply) => {
    await core.jobs.get(request.params.id);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const ended = await core.jobs.followLogs(
      request.params.id,
      (part) => reply.raw.write(`${JSON.stringify(torkLogPart(part))}\n`),
      abort.signal,
    );
    reply.raw.end(`${JSON.stringify({ job: torkJobSummary(ended) })}\n`);
    return reply;
  });

  app.put<IdParams>('/jobs/:id/cancel', async (request) => {
    await core.jobs.cancel(request.params.id);
    return OK;
  });

  app.put<IdParams>('/jobs/:id/restart', async (request) => {
    await core.jobs.restart(request.params.id);
    return OK;
  });
}
