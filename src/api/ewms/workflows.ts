import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WorkflowCollection } from '../../core/workflow.js';
import type { Core } from '../../gantry.js';
import { principalOf, queueRoute, userRoute } from '../auth/route-auth.js';
import { addWorkersBody, ewmsBody, findBody, pilotStatusBody, workflowBody } from './bodies.js';

type WorkflowParams = { Params: { workflow_id: string } };
type TaskParams = { Params: { task_id: string } };
type TaskforceParams = { Params: { taskforce_uuid: string } };

/** What identifies a POST for replays: the client's Idempotency-Key, else the user and the body itself. */
function replayKey(request: FastifyRequest, route: string): string {
  const key = request.headers['idempotency-key'];
  const principal = principalOf(request);
  if (typeof key === 'string' && key !== '') return `${principal.username}\n${route}\nkey:${key}`;
  const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  return `${principal.username}\n${route}\nbody:${body}`;
}

const QUERY_ROUTES: Array<{ path: string; collection: WorkflowCollection; field: string }> = [
  { path: '/v1/query/workflows', collection: 'workflows', field: 'workflows' },
  { path: '/v1/query/task-directives', collection: 'task-directives', field: 'task_directives' },
  { path: '/v1/query/taskforces', collection: 'taskforces', field: 'taskforces' },
];

/** EWMS's workflows, task directives, taskforces and queries. */
export function registerWorkflowRoutes(app: FastifyInstance, core: Core): void {
  // EWMS's root: an empty object, for a user.
  app.get('/v1/', userRoute('ewms'), async () => ({}));

  app.post('/v1/workflows', userRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, workflowBody);
    return core.workflows.create(principalOf(request), body, replayKey(request, 'workflows'));
  });

  app.get<WorkflowParams>('/v1/workflows/:workflow_id', userRoute('ewms'), async (request) => core.workflows.workflow(principalOf(request), request.params.workflow_id));

  app.post<WorkflowParams>('/v1/workflows/:workflow_id/actions/abort', userRoute('ewms'), async (request) =>
    core.workflows.deactivate(principalOf(request), request.params.workflow_id, 'ABORTED'),
  );

  app.post<WorkflowParams>('/v1/workflows/:workflow_id/actions/finished', userRoute('ewms'), async (request) =>
    core.workflows.deactivate(principalOf(request), request.params.workflow_id, 'FINISHED'),
  );

  app.get<TaskParams>('/v1/task-directives/:task_id', userRoute('ewms'), async (request) => core.workflows.taskDirective(principalOf(request), request.params.task_id));

  app.post<TaskParams>('/v1/task-directives/:task_id/actions/add-workers', userRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, addWorkersBody);
    return core.workflows.addWorkers(principalOf(request), request.params.task_id, body, replayKey(request, `add-workers/${request.params.task_id}`));
  });

  app.get<TaskforceParams>('/v1/taskforces/:taskforce_uuid', userRoute('ewms'), async (request) => core.workflows.taskforce(principalOf(request), request.params.taskforce_uuid));

  // A pilot's report of itself (Gantry's own pilots; EWMS's reach their TMS through HTCondor instead).
  app.post<TaskforceParams>('/v1/taskforces/:taskforce_uuid/pilot-status', queueRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, pilotStatusBody);
    await core.taskforces.report(principalOf(request), request.params.taskforce_uuid, body.pilot_id, { state: body.state, taskErrors: body.task_errors });
    return { taskforce_uuid: request.params.taskforce_uuid };
  });

  for (const route of QUERY_ROUTES) {
    app.post(route.path, userRoute('ewms'), async (request) => {
      const body = ewmsBody(request.body, findBody);
      const page = await core.workflows.find(principalOf(request), route.collection, body);
      return { [route.field]: page.docs, next_after: page.nextAfter };
    });
  }
}
