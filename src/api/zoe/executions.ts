import type { FastifyInstance } from 'fastify';
import { invalidInput, notFound } from '../../core/errors.js';
import type { Core } from '../../gantry.js';
import type { TimeBound } from '../../store/apps-repo.js';
import { principalOf, userRoute } from '../auth/route-auth.js';
import { zoeExecution } from './render-app.js';
import { statesOfStatus } from './states.js';
import { appSpecOf } from './zapp/app-spec.js';
import { validateZApp } from './zapp/validate-zapp.js';
import { zoeJsonBody } from './zoe-body.js';

type IdParams = { Params: { id: string } };

/** Zoe ids are integers; anything else names no execution (Zoe's routes match `[0-9]+`). */
export function zoeId(text: string, what: string): number {
  if (!/^[0-9]{1,15}$/.test(text)) throw notFound(what);
  return Number(text);
}

const BOUNDS: Record<string, Omit<TimeBound, 'at'>> = {
  earlier_than_submit: { field: 'submit', before: true },
  earlier_than_start: { field: 'start', before: true },
  earlier_than_end: { field: 'end', before: true },
  later_than_submit: { field: 'submit', before: false },
  later_than_start: { field: 'start', before: false },
  later_than_end: { field: 'end', before: false },
};
const FILTERS = new Set(['status', 'name', 'user_id', 'limit', ...Object.keys(BOUNDS)]);

function lastValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return lastValue(value[value.length - 1]);
  return typeof value === 'string' ? value : undefined;
}

/** Zoe's execution routes: start, details, list with its filters, terminate, delete, endpoints. See docs/zoe.md. */
export function registerExecutionRoutes(app: FastifyInstance, core: Core): void {
  const asUser = userRoute('zoe');

  app.post('/execution', asUser, async (request, reply) => {
    const actor = principalOf(request);
    const body = zoeJsonBody(request.body as Buffer | undefined, request.headers['content-type']);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidInput('the body is a JSON object with "application" and "name"');
    const { application, name } = body as { application?: unknown; name?: unknown };
    if (application === undefined) throw invalidInput('application is required: the ZApp to run');
    if (typeof name !== 'string' || name.trim() === '') throw invalidInput('name is required: the name of the execution');
    if (name.length > 256) throw invalidInput('name has at most 256 characters');
    const zapp = validateZApp(application);
    const job = await core.apps.submit({ spec: appSpecOf(zapp), name, owner: actor, description: zapp });
    return reply.status(201).send({ execution_id: job.numId });
  });

  app.get('/execution', asUser, async (request) => {
    const actor = principalOf(request);
    const query = request.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((key) => !FILTERS.has(key));
    if (unknown.length > 0) throw invalidInput(`unknown filter ${unknown.join(', ')}; the filters are ${[...FILTERS].join(', ')}`);
    const status = lastValue(query.status);
    const states = status === undefined ? undefined : statesOfStatus(status);
    if (status !== undefined && !states) throw invalidInput(`status ${status} is not one of submitted, queued, starting, error, running, cleaning up, terminated`);
    const limitText = lastValue(query.limit);
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw invalidInput('limit is a whole number above 0');
    const bounds: TimeBound[] = [];
    for (const [key, bound] of Object.entries(BOUNDS)) {
      const text = lastValue(query[key]);
      if (text === undefined) continue;
      const at = Number(text);
      if (text.trim() === '' || !Number.isFinite(at)) throw invalidInput(`${key} is a time in seconds since the epoch`);
      bounds.push({ ...bound, at: Math.round(at * 1000) });
    }
    const userId = lastValue(query.user_id);
    // Zoe's client sends the user's id (Gantry's string id); the page's curl users, a username. Either names the owner.
    const owner = userId === undefined ? undefined : ((await core.identity.getUserById(userId).catch(() => undefined))?.username ?? userId);
    const executions = await core.apps.list(
      {
        name: lastValue(query.name),
        // Only those who may see others' executions choose whose; for everyone else user_id is themselves.
        owner,
        states: states?.states,
        stopping: states?.stopping,
        bounds,
        limit,
      },
      actor,
    );
    return Object.fromEntries(executions.map((execution) => [String(execution.job.numId), zoeExecution(execution)]));
  });

  app.get<IdParams>('/execution/:id', asUser, async (request) => zoeExecution(await core.apps.get(zoeId(request.params.id, 'No such execution'), principalOf(request))));

  app.delete<IdParams>('/execution/:id', asUser, async (request, reply) => {
    await core.apps.terminate(zoeId(request.params.id, 'No such execution'), principalOf(request));
    return reply.status(204).send();
  });

  app.delete<IdParams>('/execution/delete/:id', asUser, async (request, reply) => {
    await core.apps.delete(zoeId(request.params.id, 'No such execution'), principalOf(request));
    return reply.status(204).send();
  });

  app.get<IdParams>('/execution/endpoints/:id', asUser, async (request) => {
    const endpoints = await core.apps.endpoints(zoeId(request.params.id, 'No such execution'), principalOf(request));
    // Zoe's triples: a readable name, the link, and the proxy's link (Gantry has no proxy).
    return { endpoints: endpoints.map((endpoint) => [endpoint.name, endpoint.url, null]) };
  });
}
