import type { FastifyInstance } from 'fastify';
import { invalidInput } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import { userRoute } from '../auth/route-auth.js';
import { condorCompleteBody, condorSubmitBody, errorBody, ewmsBody, statusesBody } from './bodies.js';

type TaskforceParams = { Params: { taskforce_uuid: string } };
type ScheddQuery = { Querystring: { schedd?: string; collector?: string } };

/** The routes of task management services: EWMS's system-tms role is Gantry's `api` (or `admin`). */
const tmsRoute = () => userRoute('ewms', ['admin', 'api']);

function scheddOf(query: { schedd?: string }): string {
  if (typeof query.schedd !== 'string' || query.schedd === '') throw invalidInput("'schedd' is a required query argument");
  return query.schedd;
}

/** EWMS's /v1/tms/… routes, for a TMS outside Gantry (one that drives HTCondor). Each POST is safe to repeat. */
export function registerTmsRoutes(app: FastifyInstance, core: Core): void {
  app.get<ScheddQuery>('/v1/tms/pending-starter/taskforces', tmsRoute(), async (request) => (await core.tms.pendingStarter(scheddOf(request.query))) ?? {});

  app.get<ScheddQuery>('/v1/tms/pending-stopper/taskforces', tmsRoute(), async (request) => (await core.tms.pendingStopper(scheddOf(request.query))) ?? {});

  app.post<TaskforceParams>('/v1/tms/condor-submit/taskforces/:taskforce_uuid', tmsRoute(), async (request) => {
    const body = ewmsBody(request.body, condorSubmitBody);
    await core.tms.condorSubmitted(request.params.taskforce_uuid, { cluster_id: body.cluster_id, n_workers: body.n_workers, submit_dict: body.submit_dict, job_event_log_fpath: body.job_event_log_fpath });
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  app.post<TaskforceParams>('/v1/tms/condor-submit/taskforces/:taskforce_uuid/failed', tmsRoute(), async (request) => {
    const body = ewmsBody(request.body, errorBody);
    await core.tms.condorSubmitFailed(request.params.taskforce_uuid, body.error ?? '');
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  app.post<TaskforceParams>('/v1/tms/condor-rm/taskforces/:taskforce_uuid', tmsRoute(), async (request) => {
    ewmsBody(request.body, errorBody.pick({}));
    await core.tms.condorRemoved(request.params.taskforce_uuid);
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  app.post<TaskforceParams>('/v1/tms/condor-rm/taskforces/:taskforce_uuid/failed', tmsRoute(), async (request) => {
    const body = ewmsBody(request.body, errorBody);
    await core.tms.condorRemoveFailed(request.params.taskforce_uuid, body.error ?? '');
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  app.post<TaskforceParams>('/v1/tms/condor-complete/taskforces/:taskforce_uuid', tmsRoute(), async (request) => {
    const body = ewmsBody(request.body, condorCompleteBody);
    await core.tms.condorCompleted(request.params.taskforce_uuid, body.condor_complete_ts);
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  app.post('/v1/tms/statuses/taskforces', tmsRoute(), async (request, reply) => {
    const results = await core.tms.reportStatuses(ewmsBody(request.body, statusesBody));
    // Multi-Status: some taskforces were updated, some were not found.
    if (results.some((result) => result.status === 'failed')) void reply.status(207);
    return { results };
  });
}
