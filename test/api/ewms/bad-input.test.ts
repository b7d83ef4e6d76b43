import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../src/core/identity.js';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { STORES } from '../../support/stores.js';
import { EwmsClient, WORKER_CONFIG } from './ewms-client.js';

/**
 * What the EWMS routes answer to requests they cannot serve: a 4xx with
 * `{"code": <the status>, "error": <what is wrong>}` (docs: seeds/ewms-api.txt),
 * and what they answer to a replayed POST (EWMS's clients replay POSTs on 5xx:
 * specs/clients.md, section 2). The workflows run at a location of an outside
 * TMS, so no pilot starts.
 */

/** A one-task workflow at `osg` (events → results); `task` overrides fields of its task. */
function workflowRequest(task: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    public_queue_aliases: ['events', 'results'],
    tasks: [{ cluster_locations: ['osg'], input_queue_aliases: ['events'], output_queue_aliases: ['results'], task_image: '/images/task', task_args: 'run {{INFILE}} {{OUTFILE}}', n_workers: 2, worker_config: WORKER_CONFIG, ...task }],
    ...extra,
  };
}

interface Made {
  workflowId: string;
  taskId: string;
  taskforceUuid: string;
  inputQueue: string;
}

interface Fixtures {
  active: Made;
  aborted: Made;
  finished: Made;
  /** A `next_after` of the workflows' query route. */
  workflowsCursor: string;
}

const UNKNOWN_TASKFORCE = 'TF-00000000-00000000-00000000-00000000';

interface BadCase {
  name: string;
  /** Who asks: the workflows' owner (a plain user, the default), a TMS (role `api`), or nobody (no credential). */
  as?: 'owner' | 'tms' | 'nobody';
  method: 'GET' | 'POST';
  path: string | ((f: Fixtures) => string);
  /** The JSON body (query arguments for a GET). */
  args?: Record<string, unknown> | ((f: Fixtures) => Record<string, unknown>);
  /** A body sent as it is, instead of `args`. */
  raw?: string;
  status: number;
  /** A part of the error message. */
  error: string | ((f: Fixtures) => string);
}

const deeplyNested = (levels: number): Record<string, unknown> => {
  let query: Record<string, unknown> = { task_id: 'TK-x' };
  for (let level = 0; level < levels; level++) query = { $and: [query] };
  return query;
};

const CASES: BadCase[] = [
  // POST /v1/workflows
  { name: 'an empty task list', method: 'POST', path: '/v1/workflows', args: { ...workflowRequest(), tasks: [] }, status: 400, error: 'tasks needs at least one task' },
  { name: 'no task list', method: 'POST', path: '/v1/workflows', args: { public_queue_aliases: [] }, status: 400, error: "'tasks' is a required property" },
  { name: 'an unknown location', method: 'POST', path: '/v1/workflows', args: workflowRequest({ cluster_locations: ['mars'] }), status: 400, error: 'condor cluster location not found: mars' },
  { name: 'an unknown field', method: 'POST', path: '/v1/workflows', args: workflowRequest({}, { colour: 'red' }), status: 400, error: "unknown field 'colour'" },
  { name: 'an unknown field in a task', method: 'POST', path: '/v1/workflows', args: workflowRequest({ colour: 'red' }), status: 400, error: "tasks.0: unknown field 'colour'" },
  { name: 'a number of workers that is a word', method: 'POST', path: '/v1/workflows', args: workflowRequest({ n_workers: 'two' }), status: 400, error: 'tasks.0.n_workers: Invalid input: expected number, received string' },
  {
    name: 'a worker memory that is no size',
    method: 'POST',
    path: '/v1/workflows',
    args: workflowRequest({ worker_config: { ...WORKER_CONFIG, worker_memory: 'lots' } }),
    status: 400,
    error: 'tasks[0].worker_config.worker_memory: invalid memory size "lots"',
  },
  {
    name: "a pilot setting that the task's own fields set",
    method: 'POST',
    path: '/v1/workflows',
    args: workflowRequest({ pilot_config: { environment: { EWMS_PILOT_TASK_IMAGE: '/images/other' } } }),
    status: 400,
    error: "tasks[0].pilot_config.environment cannot include the attribute 'EWMS_PILOT_TASK_IMAGE'. Use the top-level equivalent attribute instead.",
  },
  {
    name: 'a public queue alias that no task uses',
    method: 'POST',
    path: '/v1/workflows',
    args: workflowRequest({}, { public_queue_aliases: ['events', 'archive'] }),
    status: 400,
    error: "public_queue_aliases: 'archive' is not an input or output queue alias of any task",
  },
  { name: 'a body that is not JSON', method: 'POST', path: '/v1/workflows', raw: '{"tasks": [', status: 400, error: 'the body is not JSON' },

  // add-workers
  { name: 'add-workers at an unknown location', method: 'POST', path: (f) => `/v1/task-directives/${f.active.taskId}/actions/add-workers`, args: { cluster_location: 'mars', n_workers: 1 }, status: 422, error: 'condor cluster location not found: mars' },
  { name: 'add-workers with a negative number', method: 'POST', path: (f) => `/v1/task-directives/${f.active.taskId}/actions/add-workers`, args: { cluster_location: 'osg', n_workers: -1 }, status: 400, error: 'n_workers must be at least 1' },
  { name: 'add-workers with no workers', method: 'POST', path: (f) => `/v1/task-directives/${f.active.taskId}/actions/add-workers`, args: { cluster_location: 'osg', n_workers: 0 }, status: 400, error: 'n_workers must be at least 1' },
  { name: 'add-workers with a word for a number', method: 'POST', path: (f) => `/v1/task-directives/${f.active.taskId}/actions/add-workers`, args: { cluster_location: 'osg', n_workers: 'two' }, status: 400, error: 'n_workers: Invalid input: expected number, received string' },
  { name: 'add-workers with an unknown field', method: 'POST', path: (f) => `/v1/task-directives/${f.active.taskId}/actions/add-workers`, args: { cluster_location: 'osg', n_workers: 1, priority: 9 }, status: 400, error: "unknown field 'priority'" },
  {
    name: 'add-workers on a deactivated workflow',
    method: 'POST',
    path: (f) => `/v1/task-directives/${f.aborted.taskId}/actions/add-workers`,
    args: { cluster_location: 'osg', n_workers: 2 },
    status: 422,
    error: (f) => `cannot add a taskforce to a deactivated workflow (${f.aborted.workflowId})`,
  },

  // The other ending of a deactivated workflow
  { name: 'finished after abort', method: 'POST', path: (f) => `/v1/workflows/${f.aborted.workflowId}/actions/finished`, status: 404, error: (f) => `no non-deactivated workflow found with workflow_id='${f.aborted.workflowId}'` },
  { name: 'abort after finished', method: 'POST', path: (f) => `/v1/workflows/${f.finished.workflowId}/actions/abort`, status: 404, error: (f) => `no non-deactivated workflow found with workflow_id='${f.finished.workflowId}'` },

  // The query routes
  { name: 'an unknown operator', method: 'POST', path: '/v1/query/workflows', args: { query: { $foo: 1 } }, status: 400, error: 'unknown query operator: $foo' },
  { name: '$where', method: 'POST', path: '/v1/query/workflows', args: { query: { $where: 'this.priority > 1' } }, status: 400, error: 'unknown query operator: $where' },
  { name: '$regex', method: 'POST', path: '/v1/query/task-directives', args: { query: { task_id: { $regex: '^TK' } } }, status: 400, error: 'unknown query operator: $regex' },
  { name: 'ten levels of $and', method: 'POST', path: '/v1/query/task-directives', args: { query: deeplyNested(10) }, status: 400, error: 'query nests deeper than' },
  { name: '$in with a string', method: 'POST', path: '/v1/query/task-directives', args: { query: { task_id: { $in: 'TK-x' } } }, status: 400, error: '$in on task_id needs an array' },
  { name: 'a query that is not an object', method: 'POST', path: '/v1/query/taskforces', args: { query: 'phase=pending-starter' }, status: 400, error: 'query: query must be an object (a MongoDB filter)' },
  { name: 'no query', method: 'POST', path: '/v1/query/taskforces', args: { projection: ['phase'] }, status: 400, error: "'query' is a required property" },
  { name: 'an unknown field in a query', method: 'POST', path: '/v1/query/taskforces', args: { query: { colour: 'red' } }, status: 400, error: 'unknown field in query: colour' },
  { name: 'an unknown field in the body of a query', method: 'POST', path: '/v1/query/taskforces', args: { query: {}, sort: { timestamp: 1 } }, status: 400, error: "unknown field 'sort'" },
  { name: 'a cursor that is not one', method: 'POST', path: '/v1/query/workflows', args: { query: {}, after: 'garbage' }, status: 400, error: "invalid 'after': malformed cursor" },
  { name: "a cursor of another route's", method: 'POST', path: '/v1/query/taskforces', args: (f) => ({ query: {}, after: f.workflowsCursor }), status: 400, error: "invalid 'after': not a cursor from this query route" },
  { name: 'a projection of an unknown field', method: 'POST', path: '/v1/query/taskforces', args: { query: {}, projection: ['phase', 'colour'] }, status: 400, error: 'unknown field in projection: colour' },
  { name: 'a projection that is not an array', method: 'POST', path: '/v1/query/taskforces', args: { query: {}, projection: 'phase' }, status: 400, error: 'projection: Invalid input: expected array, received string' },
  { name: 'an empty projection', method: 'POST', path: '/v1/query/taskforces', args: { query: {}, projection: [] }, status: 400, error: 'projection needs at least one field' },

  // The TMS routes
  { name: 'pending-starter without a schedd', as: 'tms', method: 'GET', path: '/v1/tms/pending-starter/taskforces', args: { collector: 'cm.example' }, status: 400, error: "'schedd' is a required query argument" },
  { name: 'pending-stopper without a schedd', as: 'tms', method: 'GET', path: '/v1/tms/pending-stopper/taskforces', status: 400, error: "'schedd' is a required query argument" },
  {
    name: 'condor-submit of an unknown taskforce',
    as: 'tms',
    method: 'POST',
    path: `/v1/tms/condor-submit/taskforces/${UNKNOWN_TASKFORCE}`,
    args: { cluster_id: 1, n_workers: 1, submit_dict: {}, job_event_log_fpath: '/scratch/events.log' },
    status: 404,
    error: `taskforce found with uuid: ${UNKNOWN_TASKFORCE}`,
  },
  { name: 'condor-submit failed of an unknown taskforce', as: 'tms', method: 'POST', path: `/v1/tms/condor-submit/taskforces/${UNKNOWN_TASKFORCE}/failed`, args: { error: 'no schedd' }, status: 404, error: `taskforce found with uuid: ${UNKNOWN_TASKFORCE}` },
  { name: 'condor-rm of an unknown taskforce', as: 'tms', method: 'POST', path: `/v1/tms/condor-rm/taskforces/${UNKNOWN_TASKFORCE}`, status: 404, error: `no taskforce found with uuid: ${UNKNOWN_TASKFORCE}` },
  { name: 'condor-rm failed of an unknown taskforce', as: 'tms', method: 'POST', path: `/v1/tms/condor-rm/taskforces/${UNKNOWN_TASKFORCE}/failed`, status: 404, error: `no taskforce found with uuid: ${UNKNOWN_TASKFORCE}` },
  { name: 'condor-complete of an unknown taskforce', as: 'tms', method: 'POST', path: `/v1/tms/condor-complete/taskforces/${UNKNOWN_TASKFORCE}`, args: { condor_complete_ts: 1_700_000_000 }, status: 404, error: `no taskforce found with uuid: ${UNKNOWN_TASKFORCE}` },
  {
    name: 'condor-submit of a taskforce that is not pending-starter',
    as: 'tms',
    method: 'POST',
    path: (f) => `/v1/tms/condor-submit/taskforces/${f.aborted.taskforceUuid}`,
    args: { cluster_id: 1, n_workers: 2, submit_dict: {}, job_event_log_fpath: '/scratch/events.log' },
    status: 404,
    error: (f) => `no 'pending-starter' taskforce found with uuid: ${f.aborted.taskforceUuid}`,
  },
  {
    name: 'condor-submit failed of a taskforce that is not pending-starter',
    as: 'tms',
    method: 'POST',
    path: (f) => `/v1/tms/condor-submit/taskforces/${f.aborted.taskforceUuid}/failed`,
    args: { error: 'no schedd' },
    status: 404,
    error: (f) => `no 'pending-starter' taskforce found with uuid: ${f.aborted.taskforceUuid}`,
  },
  { name: 'condor-complete with a word for a time', as: 'tms', method: 'POST', path: (f) => `/v1/tms/condor-complete/taskforces/${f.active.taskforceUuid}`, args: { condor_complete_ts: 'now' }, status: 400, error: 'condor_complete_ts: Invalid input: expected number, received string' },
  { name: 'statuses with an unknown field', as: 'tms', method: 'POST', path: '/v1/tms/statuses/taskforces', args: { statuses: {} }, status: 400, error: "unknown field 'statuses'" },
  { name: 'statuses naming no taskforce', as: 'tms', method: 'POST', path: '/v1/tms/statuses/taskforces', args: { top_task_errors_by_taskforce: {} }, status: 400, error: 'top_task_errors_by_taskforce must name at least one taskforce' },

  // The queues
  { name: "publishing to a deactivated workflow's queue", method: 'POST', path: (f) => `/v1/mqs/queues/${f.aborted.inputQueue}/messages`, args: { messages: ['event'] }, status: 422, error: (f) => `its workflow (${f.aborted.workflowId}) is deactivated` },

  // Credentials
  { name: 'no credential', as: 'nobody', method: 'GET', path: (f) => `/v1/workflows/${f.active.workflowId}`, status: 401, error: 'missing or wrong authentication information' },
  { name: 'no credential on a TMS route', as: 'nobody', method: 'GET', path: '/v1/tms/pending-starter/taskforces', args: { schedd: 'schedd.example' }, status: 401, error: 'missing or wrong authentication information' },
  { name: 'a plain user on a TMS route', method: 'GET', path: '/v1/tms/pending-starter/taskforces', args: { schedd: 'schedd.example' }, status: 403, error: 'this needs the role admin or api' },
  { name: 'a plain user reporting a removal', method: 'POST', path: (f) => `/v1/tms/condor-rm/taskforces/${f.active.taskforceUuid}`, status: 403, error: 'this needs the role admin or api' },
];

describe.each(STORES)('EWMS requests that cannot be served, on %s', (kind) => {
  let t: TestServer;
  let owner: EwmsClient;
  let tms: EwmsClient;
  let f: Fixtures;
  /** The answer to the first abort of `f.aborted`. */
  let firstAbort: any;

  async function made(client: EwmsClient, body: Record<string, unknown>): Promise<Made> {
    const created = await client.ok('POST', '/v1/workflows', body);
    return { workflowId: created.workflow.workflow_id, taskId: created.task_directives[0].task_id, taskforceUuid: created.taskforces[0].taskforce_uuid, inputQueue: created.task_directives[0].input_queues[0] };
  }

  async function userClient(username: string, roles: Role[]): Promise<EwmsClient> {
    await t.server.core.identity.addUser({ username, roles, password: `${username}-password` });
    return new EwmsClient(t.url, await t.server.core.identity.issueJwt(username));
  }

  /** What identifies the answer of POST /v1/workflows: its documents' ids (a replay answers them as they are now). */
  const idsOf = (created: any) => ({
    workflow: created.workflow.workflow_id,
    taskDirectives: created.task_directives.map((d: any) => d.task_id),
    taskforces: created.taskforces.map((tf: any) => tf.taskforce_uuid),
  });

  /** Every document a query route answers, page after page (a page holds one document here). */
  async function allOf(client: EwmsClient, route: string, field: string, request: Record<string, unknown>): Promise<any[]> {
    const docs: any[] = [];
    let after: string | null = null;
    do {
      const page: any = await client.ok('POST', route, { ...request, ...(after === null ? {} : { after }) });
      docs.push(...page[field]);
      after = page.next_after;
    } while (after !== null);
    return docs;
  }

  const workflowsOf = async (client: EwmsClient): Promise<string[]> =>
    (await allOf(client, '/v1/query/workflows', 'workflows', { query: {}, projection: ['workflow_id'] })).map((w) => w.workflow_id);

  /** Waits until the taskforce waits for its TMS. */
  async function pendingStarter(uuid: string): Promise<void> {
    await eventually(async () => ((await tms.ok('GET', `/v1/taskforces/${uuid}`)).phase === 'pending-starter' ? true : undefined), 15_000, `taskforce ${uuid} to be pending-starter`);
  }

  beforeAll(async () => {
    t = await startTestServer(kind, { ewms: { tickMs: 100, queryPageRows: 1, locations: { osg: { schedd: 'schedd.example' } } } });
    owner = await userClient('alice', ['user']);
    tms = await userClient('tms', ['api']);
    const active = await made(owner, workflowRequest({ task_args: 'active' }));
    const aborted = await made(owner, workflowRequest({ task_args: 'aborted' }));
    const finished = await made(owner, workflowRequest({ task_args: 'finished' }));
    firstAbort = await owner.ok('POST', `/v1/workflows/${aborted.workflowId}/actions/abort`);
    await owner.ok('POST', `/v1/workflows/${finished.workflowId}/actions/finished`);
    const page = await owner.ok('POST', '/v1/query/workflows', { query: {} });
    expect(page.next_after).toEqual(expect.any(String));
    f = { active, aborted, finished, workflowsCursor: page.next_after };
  });
  afterAll(async () => t?.destroy());

  it.each(CASES)('$name: $status', async (c) => {
    let target = `${t.url}${typeof c.path === 'function' ? c.path(f) : c.path}`;
    const args = typeof c.args === 'function' ? c.args(f) : c.args;
    let body: string | undefined = c.raw;
    if (c.method === 'GET' && args !== undefined) target += `?${new URLSearchParams(Object.entries(args).map(([key, value]): [string, string] => [key, String(value)])).toString()}`;
    else if (body === undefined && args !== undefined) body = JSON.stringify(args);
    const client = c.as === 'tms' ? tms : owner;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(c.as === 'nobody' ? {} : { authorization: `Bearer ${client.token}` }) };
    const response = await fetch(target, { method: c.method, body, headers });
    const answer = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(answer)).toBe(c.status);
    expect(Object.keys(answer).sort()).toEqual(['code', 'error']);
    expect(answer.code).toBe(c.status);
    expect(answer.error).toEqual(expect.stringContaining(typeof c.error === 'function' ? c.error(f) : c.error));
  });

  it('the same ending again is a replay: the same answer', async () => {
    const again = await owner.request('POST', `/v1/workflows/${f.aborted.workflowId}/actions/abort`);
    expect(again).toEqual({ status: 200, body: firstAbort });
    expect(firstAbort).toEqual({ workflow_id: f.aborted.workflowId, n_taskforces: 1 });
  });

  it('POST /v1/workflows replayed by the same user makes one workflow, with or without an Idempotency-Key', async () => {
    const carol = await userClient('carol', ['user']);
    const body = workflowRequest({ task_args: 'replayed' });
    const once = await carol.request('POST', '/v1/workflows', body);
    const twice = await carol.request('POST', '/v1/workflows', body);
    expect([once.status, twice.status]).toEqual([200, 200]);
    expect(idsOf(twice.body)).toEqual(idsOf(once.body));
    expect(await workflowsOf(carol)).toEqual([once.body.workflow.workflow_id]);

    // Another user sending the same body makes their own.
    const dave = await userClient('dave', ['user']);
    const theirs = await dave.ok('POST', '/v1/workflows', body);
    expect(theirs.workflow.workflow_id).not.toBe(once.body.workflow.workflow_id);

    const key = { 'idempotency-key': 'carol-request-2' };
    const keyed = await carol.request('POST', '/v1/workflows', workflowRequest({ task_args: 'first body' }), key);
    const sameKey = await carol.request('POST', '/v1/workflows', workflowRequest({ task_args: 'second body' }), key);
    expect([keyed.status, sameKey.status]).toEqual([200, 200]);
    expect(idsOf(sameKey.body)).toEqual(idsOf(keyed.body));
    expect(sameKey.body.task_directives[0].task_args).toBe('first body');
    expect((await workflowsOf(carol)).sort()).toEqual([once.body.workflow.workflow_id, keyed.body.workflow.workflow_id].sort());
  });

  it('add-workers replayed answers the same taskforce and adds one', async () => {
    const path = `/v1/task-directives/${f.active.taskId}/actions/add-workers`;
    const ofTask = async () => (await allOf(owner, '/v1/query/taskforces', 'taskforces', { query: { task_id: f.active.taskId }, projection: ['taskforce_uuid'] })).map((tf) => tf.taskforce_uuid);
    const before = await ofTask();
    const once = await owner.request('POST', path, { cluster_location: 'osg', n_workers: 5 });
    const twice = await owner.request('POST', path, { cluster_location: 'osg', n_workers: 5 });
    expect([once.status, twice.status]).toEqual([200, 200]);
    expect(twice.body.taskforce_uuid).toBe(once.body.taskforce_uuid);
    expect((await ofTask()).sort()).toEqual([...before, once.body.taskforce_uuid].sort());
  });

  it('condor-submit replayed with the same cluster is 200 and logged once; with another cluster it is a 404', async () => {
    await pendingStarter(f.active.taskforceUuid);
    const path = `/v1/tms/condor-submit/taskforces/${f.active.taskforceUuid}`;
    const submission = { cluster_id: 77, n_workers: 2, submit_dict: { request_cpus: 1 }, job_event_log_fpath: '/scratch/events.log' };
    expect(await tms.request('POST', path, submission)).toEqual({ status: 200, body: { taskforce_uuid: f.active.taskforceUuid } });
    expect(await tms.request('POST', path, submission)).toEqual({ status: 200, body: { taskforce_uuid: f.active.taskforceUuid } });
    const taskforce = await tms.ok('GET', `/v1/taskforces/${f.active.taskforceUuid}`);
    expect(taskforce).toMatchObject({ phase: 'condor-submit', cluster_id: 77 });
    expect(taskforce.phase_change_log.filter((entry: any) => entry.target_phase === 'condor-submit')).toHaveLength(1);
    const other = await tms.request('POST', path, { ...submission, cluster_id: 78 });
    expect(other).toEqual({ status: 404, body: { code: 404, error: `no 'pending-starter' taskforce found with uuid: ${f.active.taskforceUuid}` } });
  });

  it('statuses replayed leave the same reports', async () => {
    const report = {
      top_task_errors_by_taskforce: { [f.active.taskforceUuid]: { 'exit 2': 1 } },
      compound_statuses_by_taskforce: { [f.active.taskforceUuid]: { RUNNING: { tasking: 2 } }, [UNKNOWN_TASKFORCE]: { IDLE: { waiting: 1 } } },
    };
    const once = await tms.request('POST', '/v1/tms/statuses/taskforces', report);
    const after = await tms.ok('GET', `/v1/taskforces/${f.active.taskforceUuid}`);
    const twice = await tms.request('POST', '/v1/tms/statuses/taskforces', report);
    expect(once.status).toBe(207);
    expect(twice).toEqual(once);
    expect(await tms.ok('GET', `/v1/taskforces/${f.active.taskforceUuid}`)).toEqual(after);
    expect(after).toMatchObject({ top_task_errors: { 'exit 2': 1 }, compound_statuses: { RUNNING: { tasking: 2 } } });
  });
});
