/**
 * Who may call what: every route of every dialect × every kind of credential,
 * the expected answer of each cell derived from the route's kind. The routes
 * come from the server's own table, so a route added without an entry here
 * fails this test.
 */
import { sign } from '@fastify/cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginCookieValue } from '../../../src/api/auth/credentials.js';
import type { Principal } from '../../../src/core/identity.js';
import * as credentialsRepo from '../../../src/store/credentials-repo.js';
import { digestOf, newSecret } from '../../../src/services/identity/secrets.js';
import { STORES } from '../../support/stores.js';
import { eventually, request, startTestServer, TEST_ADMIN_PASSWORD, yamlHeaders, type TestServer } from '../../support/server.js';

/**
 * What a route is, for access: `public`; `any` (every user, nothing of another's:
 * lists, submissions, cluster views); `read` / `act` (one object of its owner's,
 * which others' credentials may not see, and support may see but not change);
 * `admin`; and Zoe's identity routes: `password` (answers only a username and
 * password), `login` (a password or the login cookie), `own-token` (one of the
 * owner's tokens, which nobody else may touch, support included); Zeroboot's
 * `exec` routes, open without a credential here (no keys file, loopback);
 * ClusterCockpit's `cockpit-api` routes (admins and API users) and its user API's
 * `own-only` routes (the caller's own jobs, whoever the caller is); EWMS's
 * `ewms-read` / `ewms-act` (one workflow's objects, which task management
 * services, `api` users, also reach; support reads but does not change them).
 * EWMS's TMS routes are `cockpit-api` routes too: admins and API users.
 */
type RouteKind = 'public' | 'any' | 'read' | 'act' | 'admin' | 'password' | 'login' | 'own-token' | 'exec' | 'cockpit-api' | 'own-only' | 'ewms-read' | 'ewms-act';

interface Fixture {
  aliceJob: string;
  aliceTask: string;
  aliceSchedule: () => Promise<string>;
  aliceAccessToken: () => Promise<string>;
  /** A running Zoe execution of alice's (shared by the cells that only read it) and its first service. */
  aliceExecution: number;
  aliceService: number;
  /** A fresh running execution of alice's, for the cells that end or delete one. */
  freshExecution: () => Promise<number>;
  aliceUserId: string;
  /** A throwaway user and quota, for the cells that delete one. */
  freshUser: () => Promise<string>;
  freshQuota: () => Promise<number>;
  /** A ClusterCockpit record of alice's (running), one already stopped, and fresh ones for the cells that delete. */
  aliceRecord: number;
  stoppedRecord: { id: number; jobId: number };
  freshRecord: () => Promise<{ id: number; jobId: number }>;
  /** An active EWMS workflow of alice's at an outside TMS's location (no pilots start), and two more that cells end. */
  workflow: { id: string; taskId: string; taskforce: string; queue: string; aborted: string; finished: string };
  /** A fresh taskforce of alice's workflow in pending-starter (for the cells that submit one). */
  pendingTaskforce: () => Promise<string>;
}

interface RouteCase {
  kind: RouteKind;
  /** Path with its parameters filled, body and headers, made fresh for each cell. */
  call(fixture: Fixture): Promise<{ path: string; body?: string; headers?: Record<string, string> }>;
}

const JOB = 'name: matrix\ntasks:\n  - name: a\n    run: "true"\n';
const SCHEDULE = 'name: matrix schedule\nschedule:\n  cron: "0 0 * * *"\ntasks:\n  - name: a\n    run: "true"\n';
const EXEC = JSON.stringify({ code: 'print(1)' });
const ZAPP = {
  name: 'matrix',
  version: 3,
  will_end: false,
  size: 1,
  services: [
    {
      name: 'idle',
      image: 'busybox',
      command: 'exec sleep 600',
      environment: [],
      ports: [],
      volumes: [],
      monitor: true,
      startup_order: 0,
      essential_count: 1,
      total_count: 1,
      resources: { memory: { min: null, max: null }, cores: { min: 0.01, max: null } },
    },
  ],
};
const START = JSON.stringify({ application: ZAPP, name: 'matrix' });
const jsonHeaders = { 'content-type': 'application/json' };
let unique = 0;

/** Every route, by `METHOD url` as the server registers it. */
const ROUTES: Record<string, RouteCase> = {
  'GET /health': { kind: 'public', call: async () => ({ path: '/health' }) },
  'POST /jobs': { kind: 'any', call: async () => ({ path: '/jobs', body: JOB, headers: yamlHeaders }) },
  'GET /jobs': { kind: 'any', call: async () => ({ path: '/jobs' }) },
  'GET /jobs/:id': { kind: 'read', call: async (f) => ({ path: `/jobs/${f.aliceJob}` }) },
  'GET /jobs/:id/log': { kind: 'read', call: async (f) => ({ path: `/jobs/${f.aliceJob}/log` }) },
  'GET /jobs/:id/log/stream': { kind: 'read', call: async (f) => ({ path: `/jobs/${f.aliceJob}/log/stream` }) },
  'PUT /jobs/:id/cancel': { kind: 'act', call: async (f) => ({ path: `/jobs/${f.aliceJob}/cancel` }) },
  'PUT /jobs/:id/restart': { kind: 'act', call: async (f) => ({ path: `/jobs/${f.aliceJob}/restart` }) },
  'GET /tasks/:id': { kind: 'read', call: async (f) => ({ path: `/tasks/${f.aliceTask}` }) },
  'GET /tasks/:id/log': { kind: 'read', call: async (f) => ({ path: `/tasks/${f.aliceTask}/log` }) },
  'GET /nodes': { kind: 'any', call: async () => ({ path: '/nodes' }) },
  'GET /queues': { kind: 'any', call: async () => ({ path: '/queues' }) },
  'GET /queues/:name': { kind: 'any', call: async () => ({ path: '/queues/default' }) },
  'DELETE /queues/:name': { kind: 'admin', call: async () => ({ path: '/queues/default' }) },
  'GET /metrics': { kind: 'any', call: async () => ({ path: '/metrics' }) },
  'POST /scheduled-jobs': { kind: 'any', call: async () => ({ path: '/scheduled-jobs', body: SCHEDULE, headers: yamlHeaders }) },
  'GET /scheduled-jobs': { kind: 'any', call: async () => ({ path: '/scheduled-jobs' }) },
  'GET /scheduled-jobs/:id': { kind: 'read', call: async (f) => ({ path: `/scheduled-jobs/${await f.aliceSchedule()}` }) },
  'PUT /scheduled-jobs/:id/pause': { kind: 'act', call: async (f) => ({ path: `/scheduled-jobs/${await f.aliceSchedule()}/pause` }) },
  'PUT /scheduled-jobs/:id/resume': { kind: 'act', call: async (f) => ({ path: `/scheduled-jobs/${await f.aliceSchedule()}/resume` }) },
  'DELETE /scheduled-jobs/:id': { kind: 'act', call: async (f) => ({ path: `/scheduled-jobs/${await f.aliceSchedule()}` }) },
  'POST /api/0.7/oauth/token': {
    kind: 'password',
    call: async () => ({ path: '/api/0.7/oauth/token', body: JSON.stringify({ grant_type: 'password' }), headers: { 'content-type': 'application/json' } }),
  },
  'DELETE /api/0.7/oauth/revoke/:token': { kind: 'own-token', call: async (f) => ({ path: `/api/0.7/oauth/revoke/${await f.aliceAccessToken()}` }) },
  'GET /api/0.7/login': { kind: 'login', call: async () => ({ path: '/api/0.7/login' }) },
  'GET /api/0.7/info': { kind: 'public', call: async () => ({ path: '/api/0.7/info' }) },
  'OPTIONS /api/0.7/*': { kind: 'public', call: async () => ({ path: '/api/0.7/execution' }) },
  'POST /api/0.7/zapp_validate': { kind: 'public', call: async () => ({ path: '/api/0.7/zapp_validate', body: '{}', headers: jsonHeaders }) },
  'POST /api/0.7/execution': { kind: 'any', call: async () => ({ path: '/api/0.7/execution', body: START, headers: jsonHeaders }) },
  'GET /api/0.7/execution': { kind: 'any', call: async () => ({ path: '/api/0.7/execution' }) },
  'GET /api/0.7/execution/:id': { kind: 'read', call: async (f) => ({ path: `/api/0.7/execution/${f.aliceExecution}` }) },
  'DELETE /api/0.7/execution/:id': { kind: 'act', call: async (f) => ({ path: `/api/0.7/execution/${await f.freshExecution()}` }) },
  'DELETE /api/0.7/execution/delete/:id': { kind: 'act', call: async (f) => ({ path: `/api/0.7/execution/delete/${await f.freshExecution()}` }) },
  'GET /api/0.7/execution/endpoints/:id': { kind: 'read', call: async (f) => ({ path: `/api/0.7/execution/endpoints/${f.aliceExecution}` }) },
  'GET /api/0.7/service/:id': { kind: 'read', call: async (f) => ({ path: `/api/0.7/service/${f.aliceService}` }) },
  'GET /api/0.7/service/logs/:id': { kind: 'read', call: async (f) => ({ path: `/api/0.7/service/logs/${f.aliceService}` }) },
  'GET /api/0.7/discovery/by_group/:id/:group': { kind: 'read', call: async (f) => ({ path: `/api/0.7/discovery/by_group/${f.aliceExecution}/all` }) },
  'GET /api/0.7/statistics/scheduler': { kind: 'public', call: async () => ({ path: '/api/0.7/statistics/scheduler' }) },
  'GET /api/0.7/user': { kind: 'admin', call: async () => ({ path: '/api/0.7/user' }) },
  'POST /api/0.7/user': { kind: 'admin', call: async () => ({ path: '/api/0.7/user', body: JSON.stringify({ username: `zoe${unique++}`, role_id: 3 }), headers: jsonHeaders }) },
  'GET /api/0.7/user/:id': { kind: 'read', call: async (f) => ({ path: `/api/0.7/user/${f.aliceUserId}` }) },
  'POST /api/0.7/user/:id': { kind: 'act', call: async (f) => ({ path: `/api/0.7/user/${f.aliceUserId}`, body: JSON.stringify({ email: 'alice@example.org' }), headers: jsonHeaders }) },
  'DELETE /api/0.7/user/:id': { kind: 'admin', call: async (f) => ({ path: `/api/0.7/user/${await f.freshUser()}` }) },
  'GET /api/0.7/role': { kind: 'admin', call: async () => ({ path: '/api/0.7/role' }) },
  'POST /api/0.7/role': { kind: 'admin', call: async () => ({ path: '/api/0.7/role', body: JSON.stringify({ name: 'student' }), headers: jsonHeaders }) },
  'GET /api/0.7/role/:id': { kind: 'admin', call: async () => ({ path: '/api/0.7/role/3' }) },
  'POST /api/0.7/role/:id': { kind: 'admin', call: async () => ({ path: '/api/0.7/role/3', body: '{}', headers: jsonHeaders }) },
  'DELETE /api/0.7/role/:id': { kind: 'admin', call: async () => ({ path: '/api/0.7/role/3' }) },
  'GET /api/0.7/quota': { kind: 'admin', call: async () => ({ path: '/api/0.7/quota' }) },
  'POST /api/0.7/quota': {
    kind: 'admin',
    call: async () => ({ path: '/api/0.7/quota', body: JSON.stringify({ name: `q${unique++}`, concurrent_executions: 0, cores: 0, memory: 0, runtime_limit: 0 }), headers: jsonHeaders }),
  },
  'GET /api/0.7/quota/:id': { kind: 'admin', call: async () => ({ path: '/api/0.7/quota/1' }) },
  'POST /api/0.7/quota/:id': { kind: 'admin', call: async () => ({ path: '/api/0.7/quota/1', body: JSON.stringify({ cores: 0 }), headers: jsonHeaders }) },
  'DELETE /api/0.7/quota/:id': { kind: 'admin', call: async (f) => ({ path: `/api/0.7/quota/${await f.freshQuota()}` }) },
  ...cockpitRoutes(),
  ...ewmsRoutes(),
  'POST /v1/exec': { kind: 'exec', call: async () => ({ path: '/v1/exec', body: EXEC, headers: jsonHeaders }) },
  'POST /exec': { kind: 'exec', call: async () => ({ path: '/exec', body: EXEC, headers: jsonHeaders }) },
  'POST /v1/exec/batch': { kind: 'exec', call: async () => ({ path: '/v1/exec/batch', body: JSON.stringify({ executions: [JSON.parse(EXEC)] }), headers: jsonHeaders }) },
  'GET /v1/health': { kind: 'public', call: async () => ({ path: '/v1/health' }) },
  'GET /v1/metrics': { kind: 'public', call: async () => ({ path: '/v1/metrics' }) },
  'POST /users': {
    kind: 'admin',
    call: async () => ({ path: '/users', body: JSON.stringify({ username: `made${unique++}`, password: 'a-long-password' }), headers: { 'content-type': 'application/json' } }),
  },
};

const OUTSIDE_LOCATION = 'osg';
const WORKER_CONFIG = { condor_requirements: '', do_transfer_worker_stdouterr: false, max_worker_runtime: 60, n_cores: 1, priority: 1, worker_disk: '1G', worker_memory: '64M' };
const WORKFLOW = () =>
  JSON.stringify({
    public_queue_aliases: ['in'],
    tasks: [{ cluster_locations: [OUTSIDE_LOCATION], input_queue_aliases: ['in'], output_queue_aliases: ['out'], task_image: 'x', task_args: `cat # ${unique++}`, n_workers: 1, worker_config: WORKER_CONFIG }],
  });

function ewmsRoutes(): Record<string, RouteCase> {
  const body = (value: unknown) => ({ body: JSON.stringify(value), headers: jsonHeaders });
  const query = body({ query: {} });
  return {
    'GET /v1/': { kind: 'any', call: async () => ({ path: '/v1/' }) },
    'POST /v1/workflows': { kind: 'any', call: async () => ({ path: '/v1/workflows', body: WORKFLOW(), headers: jsonHeaders }) },
    'GET /v1/workflows/:workflow_id': { kind: 'ewms-read', call: async (f) => ({ path: `/v1/workflows/${f.workflow.id}` }) },
    'POST /v1/workflows/:workflow_id/actions/abort': { kind: 'ewms-act', call: async (f) => ({ path: `/v1/workflows/${f.workflow.aborted}/actions/abort` }) },
    'POST /v1/workflows/:workflow_id/actions/finished': { kind: 'ewms-act', call: async (f) => ({ path: `/v1/workflows/${f.workflow.finished}/actions/finished` }) },
    'GET /v1/task-directives/:task_id': { kind: 'ewms-read', call: async (f) => ({ path: `/v1/task-directives/${f.workflow.taskId}` }) },
    'POST /v1/task-directives/:task_id/actions/add-workers': {
      kind: 'ewms-act',
      call: async (f) => ({ path: `/v1/task-directives/${f.workflow.taskId}/actions/add-workers`, ...body({ cluster_location: OUTSIDE_LOCATION, n_workers: 1 }) }),
    },
    'GET /v1/taskforces/:taskforce_uuid': { kind: 'ewms-read', call: async (f) => ({ path: `/v1/taskforces/${f.workflow.taskforce}` }) },
    'POST /v1/taskforces/:taskforce_uuid/pilot-status': { kind: 'admin', call: async (f) => ({ path: `/v1/taskforces/${f.workflow.taskforce}/pilot-status`, ...body({ pilot_id: 'p', state: 'Tasking' }) }) },
    'POST /v1/query/workflows': { kind: 'any', call: async () => ({ path: '/v1/query/workflows', ...query }) },
    'POST /v1/query/task-directives': { kind: 'any', call: async () => ({ path: '/v1/query/task-directives', ...query }) },
    'POST /v1/query/taskforces': { kind: 'any', call: async () => ({ path: '/v1/query/taskforces', ...query }) },
    'GET /v1/schema/openapi': { kind: 'public', call: async () => ({ path: '/v1/schema/openapi' }) },
    'GET /v1/tms/pending-starter/taskforces': { kind: 'cockpit-api', call: async () => ({ path: '/v1/tms/pending-starter/taskforces?schedd=nowhere' }) },
    'GET /v1/tms/pending-stopper/taskforces': { kind: 'cockpit-api', call: async () => ({ path: '/v1/tms/pending-stopper/taskforces?schedd=nowhere' }) },
    'POST /v1/tms/condor-submit/taskforces/:taskforce_uuid': {
      kind: 'cockpit-api',
      call: async (f) => ({ path: `/v1/tms/condor-submit/taskforces/${await f.pendingTaskforce()}`, ...body({ cluster_id: 1, n_workers: 1, submit_dict: {}, job_event_log_fpath: '/log' }) }),
    },
    'POST /v1/tms/condor-submit/taskforces/:taskforce_uuid/failed': {
      kind: 'cockpit-api',
      call: async (f) => ({ path: `/v1/tms/condor-submit/taskforces/${await f.pendingTaskforce()}/failed`, ...body({ error: 'no' }) }),
    },
    'POST /v1/tms/condor-rm/taskforces/:taskforce_uuid': { kind: 'cockpit-api', call: async (f) => ({ path: `/v1/tms/condor-rm/taskforces/${f.workflow.taskforce}` }) },
    'POST /v1/tms/condor-rm/taskforces/:taskforce_uuid/failed': { kind: 'cockpit-api', call: async (f) => ({ path: `/v1/tms/condor-rm/taskforces/${f.workflow.taskforce}/failed`, ...body({ error: 'no' }) }) },
    'POST /v1/tms/condor-complete/taskforces/:taskforce_uuid': {
      kind: 'cockpit-api',
      call: async (f) => ({ path: `/v1/tms/condor-complete/taskforces/${f.workflow.taskforce}`, ...body({ condor_complete_ts: 1_700_000_000 }) }),
    },
    'POST /v1/tms/statuses/taskforces': { kind: 'cockpit-api', call: async (f) => ({ path: '/v1/tms/statuses/taskforces', ...body({ compound_statuses_by_taskforce: { [f.workflow.taskforce]: {} } }) }) },
    'GET /v1/mqs/workflows/:workflow_id/mq-profiles/public': { kind: 'read', call: async (f) => ({ path: `/v1/mqs/workflows/${f.workflow.id}/mq-profiles/public` }) },
    'GET /v1/mqs/queues/:mqid': { kind: 'read', call: async (f) => ({ path: `/v1/mqs/queues/${f.workflow.queue}` }) },
    'POST /v1/mqs/queues/:mqid/messages': { kind: 'act', call: async (f) => ({ path: `/v1/mqs/queues/${f.workflow.queue}/messages`, ...body({ messages: ['cell'] }) }) },
    'POST /v1/mqs/queues/:mqid/actions/consume': { kind: 'act', call: async (f) => ({ path: `/v1/mqs/queues/${f.workflow.queue}/actions/consume`, ...body({}) }) },
    'POST /v1/mqs/queues/:mqid/actions/ack': { kind: 'act', call: async (f) => ({ path: `/v1/mqs/queues/${f.workflow.queue}/actions/ack`, ...body({ ack_ids: ['1.x'] }) }) },
    'POST /v1/mqs/queues/:mqid/actions/nack': { kind: 'act', call: async (f) => ({ path: `/v1/mqs/queues/${f.workflow.queue}/actions/nack`, ...body({ ack_ids: ['1.x'] }) }) },
  };
}

function cockpitRoutes(): Record<string, RouteCase> {
  const body = (value: unknown) => ({ body: JSON.stringify(value), headers: jsonHeaders });
  const start = () => body({ jobId: 7_000_000 + unique++, user: 'alice', cluster: 'gantry', startTime: 1_700_000_000, numNodes: 1, resources: [{ hostname: 'h1' }] });
  const restop = (f: Fixture) => body({ jobId: f.stoppedRecord.jobId, cluster: 'gantry', jobState: 'completed', stopTime: 1_700_000_100 });
  const tags = body([{ type: 'matrix', name: 'cell', scope: 'private' }]);
  return {
    'POST /api/jobs/start_job/': { kind: 'cockpit-api', call: async () => ({ path: '/api/jobs/start_job/', ...start() }) },
    'PUT /api/jobs/start_job/': { kind: 'cockpit-api', call: async () => ({ path: '/api/jobs/start_job/', ...start() }) },
    // Stopping a stopped job: 422 once the policy let the call through.
    'POST /api/jobs/stop_job/': { kind: 'cockpit-api', call: async (f) => ({ path: '/api/jobs/stop_job/', ...restop(f) }) },
    'PUT /api/jobs/stop_job/': { kind: 'cockpit-api', call: async (f) => ({ path: '/api/jobs/stop_job/', ...restop(f) }) },
    'POST /api/jobs/stop_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/stop_job/${f.stoppedRecord.id}`, ...restop(f) }) },
    'PUT /api/jobs/stop_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/stop_job/${f.stoppedRecord.id}`, ...restop(f) }) },
    'GET /api/jobs/': { kind: 'cockpit-api', call: async () => ({ path: '/api/jobs/' }) },
    'GET /api/jobs/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/${f.aliceRecord}` }) },
    'POST /api/jobs/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/${f.aliceRecord}`, ...body([]) }) },
    'POST /api/jobs/tag_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/tag_job/${f.aliceRecord}`, ...tags }) },
    'PATCH /api/jobs/tag_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/tag_job/${f.aliceRecord}`, ...tags }) },
    'DELETE /api/jobs/tag_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/tag_job/${f.aliceRecord}`, ...body([]) }) },
    'DELETE /api/tags/': { kind: 'cockpit-api', call: async () => ({ path: '/api/tags/', ...body([]) }) },
    'PATCH /api/jobs/edit_meta/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/edit_meta/${f.aliceRecord}`, ...body({ key: 'k', value: 'v' }) }) },
    'POST /api/jobs/edit_meta/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/edit_meta/${f.aliceRecord}`, ...body({ key: 'k', value: 'v' }) }) },
    'PATCH /api/jobs/edit_meta/': { kind: 'cockpit-api', call: async (f) => ({ path: '/api/jobs/edit_meta/', ...body({ jobId: f.stoppedRecord.jobId, cluster: 'gantry', payload: [] }) }) },
    'DELETE /api/jobs/delete_job/': { kind: 'cockpit-api', call: async (f) => ({ path: '/api/jobs/delete_job/', ...body({ jobId: (await f.freshRecord()).jobId, cluster: 'gantry' }) }) },
    'DELETE /api/jobs/delete_job/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/delete_job/${(await f.freshRecord()).id}` }) },
    'DELETE /api/jobs/delete_job_before/:ts': { kind: 'cockpit-api', call: async () => ({ path: '/api/jobs/delete_job_before/1' }) },
    'GET /api/clusters/': { kind: 'cockpit-api', call: async () => ({ path: '/api/clusters/' }) },
    'GET /api/users/': { kind: 'admin', call: async () => ({ path: '/api/users/' }) },
    'GET /userapi/jobs/': { kind: 'any', call: async () => ({ path: '/userapi/jobs/' }) },
    'POST /api/nodestate/': { kind: 'cockpit-api', call: async () => ({ path: '/api/nodestate/', ...body({ cluster: 'gantry', nodes: [] }) }) },
    'PUT /api/nodestate/': { kind: 'cockpit-api', call: async () => ({ path: '/api/nodestate/', ...body({ cluster: 'gantry', nodes: [] }) }) },
    'GET /api/jobs/used_nodes': { kind: 'cockpit-api', call: async () => ({ path: '/api/jobs/used_nodes?ts=1' }) },
    'GET /api/jobs/archive/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/archive/${f.aliceRecord}` }) },
    'GET /api/jobs/metrics/:id': { kind: 'cockpit-api', call: async (f) => ({ path: `/api/jobs/metrics/${f.aliceRecord}` }) },
    'GET /userapi/jobs/metrics/:id': { kind: 'own-only', call: async (f) => ({ path: `/userapi/jobs/metrics/${f.aliceRecord}` }) },
    'POST /api/write/': { kind: 'cockpit-api', call: async () => ({ path: '/api/write/', body: 'cpu_load,cluster=gantry,hostname=h1 value=1 1700000000', headers: { 'content-type': 'text/plain' } }) },
    'GET /userapi/jobs/:id': { kind: 'own-only', call: async (f) => ({ path: `/userapi/jobs/${f.aliceRecord}` }) },
    'POST /userapi/jobs/:id': { kind: 'own-only', call: async (f) => ({ path: `/userapi/jobs/${f.aliceRecord}`, ...body([]) }) },
  };
}

/** The kinds of credential, and whose they are: `owner` is alice, who owns the fixtures. */
type Who = 'nobody' | 'invalid' | 'worker' | 'owner' | 'other' | 'api' | 'support' | 'admin';

/** How a credential is presented. */
type Via = 'none' | 'password' | 'cookie' | 'token';

/** The answer a cell expects: let through (the route's own answer), or refused with 401, 403 or 404. */
type Expected = 'through' | 401 | 403 | 404;

function expected(kind: RouteKind, who: Who, via: Via): Expected {
  if (kind === 'public') return 'through';
  // Public to the hook: the handler itself wants a username and password.
  if (kind === 'password') return via === 'password' && who !== 'invalid' ? 'through' : 401;
  // As Zeroboot without a keys file: no credential is fine, a wrong one is not.
  if (kind === 'exec' && who === 'nobody') return 'through';
  if (who === 'nobody' || who === 'invalid') return 401;
  if (who === 'worker') return 403;
  if (kind === 'exec') return 'through';
  if (kind === 'login') return via === 'password' || via === 'cookie' ? 'through' : 401;
  if (kind === 'own-token') return who === 'owner' || who === 'admin' ? 'through' : 404;
  if (kind === 'admin') return who === 'admin' ? 'through' : 403;
  if (kind === 'cockpit-api') return who === 'admin' || who === 'api' ? 'through' : 403;
  if (kind === 'own-only') return who === 'owner' ? 'through' : 404;
  if (kind === 'ewms-read') return who === 'other' ? 404 : 'through';
  if (kind === 'ewms-act') return who === 'other' ? 404 : who === 'support' ? 403 : 'through';
  if (kind === 'any' || who === 'owner' || who === 'admin') return 'through';
  // Another user's object is not found, not forbidden: its existence is not told.
  if (who === 'other' || who === 'api') return 404;
  // Support sees everything and changes nothing of others'.
  return kind === 'read' ? 'through' : 403;
}

describe.each(STORES)('access to every route on %s', (store) => {
  let t: TestServer;
  const credentials = new Map<string, { who: Who; via: Via; headers: Record<string, string> }>();
  let fixture: Fixture;
  const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

  beforeAll(async () => {
    t = await startTestServer(store, {
      auth: { anonymous: {} },
      exec: { enabled: true, spares: { python: 2, node: 1 } },
      ewms: { tickMs: 100, locations: { [OUTSIDE_LOCATION]: { schedd: 'schedd.example' } } },
    });
    const identity = t.server.core.identity;
    const password = 'a-long-password';
    for (const [username, role] of [
      ['alice', 'user'],
      ['bob', 'user'],
      ['robot', 'api'],
      ['sam', 'support'],
    ] as const) {
      await identity.addUser({ username, roles: [role], password });
    }
    const alice: Principal = await identity.resolveBasic('alice', password, '127.0.0.1');
    const aliceTokens = await identity.issueOAuthTokens(alice);
    const revoked = await identity.issueOAuthTokens(alice);
    await identity.revokeToken(revoked.access_token, alice);
    // An access token that expired a minute ago.
    const expiredToken = newSecret();
    const now = Date.now();
    await credentialsRepo.insertAccessTokens(t.server.core.store.db, [
      { digest: digestOf(expiredToken), kind: 'access', userId: alice.userId!, createdAt: now - 120_000, expiresAt: now - 60_000, revokedAt: null },
    ]);
    const robotKey = (await identity.createApiKey('robot', 'matrix')).key;
    const samJwt = await identity.issueJwt('sam');
    const bobCookie = `zoe=${sign(loginCookieValue('bob', now), identity.cookieSecret)}`;
    const workerToken = (await identity.createWorkerToken('matrix')).token;

    credentials.set('no credential', { who: 'nobody', via: 'none', headers: {} });
    credentials.set('an unknown bearer token', { who: 'invalid', via: 'token', headers: { authorization: 'Bearer no-such-token' } });
    credentials.set('an expired access token', { who: 'invalid', via: 'token', headers: { authorization: `Bearer ${expiredToken}` } });
    credentials.set('a revoked access token', { who: 'invalid', via: 'token', headers: { authorization: `Bearer ${revoked.access_token}` } });
    credentials.set('a malformed Authorization header', { who: 'invalid', via: 'none', headers: { authorization: 'Token xyz' } });
    credentials.set('a worker token', { who: 'worker', via: 'token', headers: { authorization: `Bearer ${workerToken}` } });
    credentials.set("the owner's password", { who: 'owner', via: 'password', headers: basic('alice', password) });
    credentials.set("the owner's access token", { who: 'owner', via: 'token', headers: { authorization: `Bearer ${aliceTokens.access_token}` } });
    credentials.set("another user's login cookie", { who: 'other', via: 'cookie', headers: { cookie: bobCookie } });
    credentials.set("an api-only user's key", { who: 'api', via: 'token', headers: { authorization: `Bearer ${robotKey}` } });
    credentials.set("a support user's JWT (X-Auth-Token)", { who: 'support', via: 'token', headers: { 'x-auth-token': samJwt } });
    credentials.set("the admin's password", { who: 'admin', via: 'password', headers: basic('admin', TEST_ADMIN_PASSWORD) });

    const asAlice = basic('alice', password);
    const submitted = await request<{ id: string }>(`${t.url}/jobs`, { method: 'POST', body: JOB, headers: { ...yamlHeaders, ...asAlice } });
    const ended = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${submitted.body.id}`, { headers: asAlice });
      return body.state === 'COMPLETED' ? body : undefined;
    });
    const startExecution = async (): Promise<number> => {
      const started = await request<{ execution_id: number }>(`${t.url}/api/0.7/execution`, { method: 'POST', body: START, headers: { ...jsonHeaders, ...asAlice } });
      if (started.status !== 201) throw new Error(`execution not started: ${JSON.stringify(started.body)}`);
      return started.body.execution_id;
    };
    const aliceExecution = await startExecution();
    const running = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/api/0.7/execution/${aliceExecution}`, { headers: asAlice });
      return body.status === 'running' ? body : undefined;
    });
    const records = t.server.core.records;
    const newRecord = async () => {
      const jobId = 8_000_000 + unique++;
      const record = await records.start(
        { batchJobId: jobId, user: 'alice', project: '', cluster: 'gantry', partition: null, arrayJobId: null, numNodes: 1, numHwthreads: 0, numAcc: 0, shared: 'none', walltime: 0, smt: null, submitTime: null, startTime: 1_700_000_000, requestedMemory: null, energy: null, resources: [{ hostname: 'h1' }], metaData: {}, footprint: null, energyFootprint: null, tags: [] },
        await identity.resolveBasic('admin', TEST_ADMIN_PASSWORD, '127.0.0.1'),
      );
      return { id: record.id, jobId };
    };
    const aliceRecord = (await newRecord()).id;
    const stoppedRecord = await newRecord();
    await records.stop(await records.get(stoppedRecord.id), { stopTime: 1_700_000_100 });
    const ewmsPost = async (path: string, payload?: string): Promise<Record<string, any>> => {
      const answer = await request<Record<string, any>>(`${t.url}${path}`, { method: 'POST', body: payload, headers: { ...jsonHeaders, ...asAlice } });
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    const ewmsGet = async (path: string): Promise<Record<string, any>> => (await request<Record<string, any>>(`${t.url}${path}`, { headers: asAlice })).body;
    const workflow = await ewmsPost('/v1/workflows', WORKFLOW());
    const queue = workflow.task_directives[0].input_queues[0] as string;
    await eventually(async () => ((await ewmsGet(`/v1/mqs/workflows/${workflow.workflow.workflow_id}/mq-profiles/public`)).mqprofiles?.[0]?.is_activated ? true : undefined));
    const taskId = workflow.task_directives[0].task_id as string;
    fixture = {
      workflow: {
        id: workflow.workflow.workflow_id,
        taskId,
        taskforce: workflow.taskforces[0].taskforce_uuid,
        queue,
        aborted: (await ewmsPost('/v1/workflows', WORKFLOW())).workflow.workflow_id,
        finished: (await ewmsPost('/v1/workflows', WORKFLOW())).workflow.workflow_id,
      },
      pendingTaskforce: async () => {
        const made = await ewmsPost(`/v1/task-directives/${taskId}/actions/add-workers`, JSON.stringify({ cluster_location: OUTSIDE_LOCATION, n_workers: unique++ + 1 }));
        await eventually(async () => ((await ewmsGet(`/v1/taskforces/${made.taskforce_uuid}`)).phase === 'pending-starter' ? true : undefined));
        return made.taskforce_uuid as string;
      },
      aliceRecord,
      stoppedRecord,
      freshRecord: newRecord,
      aliceUserId: alice.userId!,
      freshUser: async () => (await identity.addUser({ username: `gone${unique++}`, roles: ['user'] })).id,
      freshQuota: async () => t.server.core.quotas.create({ name: `gone${unique++}`, concurrentExecutions: 0, cores: 0, memoryBytes: 0, runtimeLimitHours: 0 }),
      aliceExecution,
      aliceService: running.services[0],
      freshExecution: startExecution,
      aliceJob: submitted.body.id,
      aliceTask: ended.execution[0].id,
      aliceSchedule: async () => {
        const made = await request<{ id: string }>(`${t.url}/scheduled-jobs`, { method: 'POST', body: SCHEDULE, headers: { ...yamlHeaders, ...asAlice } });
        if (made.status !== 200) throw new Error(`scheduled job not made: ${JSON.stringify(made.body)}`);
        return made.body.id;
      },
      aliceAccessToken: async () => (await identity.issueOAuthTokens(alice)).access_token,
    };
  });

  afterAll(async () => {
    await t?.destroy();
  });

  it('has an entry here for every route the server registers', () => {
    const registered = t.server.routes.map((route) => `${route.method} ${route.url}`).sort();
    expect(registered).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers every route × credential as its policy says', async () => {
    const cells: string[] = [];
    for (const [route, entry] of Object.entries(ROUTES)) {
      const method = route.split(' ')[0]!;
      for (const [name, credential] of credentials) {
        const call = await entry.call(fixture);
        const controller = new AbortController();
        const response = await fetch(`${t.url}${call.path}`, {
          method,
          body: call.body,
          headers: { ...call.headers, ...credential.headers },
          signal: controller.signal,
        });
        // The log stream stays open while its job runs: the status is all this needs.
        controller.abort();
        const want = expected(entry.kind, credential.who, credential.via);
        const got = response.status;
        const ok = want === 'through' ? got !== 401 && got !== 403 && got !== 404 && got < 500 : got === want;
        if (!ok) cells.push(`${route} with ${name}: expected ${want}, got ${got}`);
      }
    }
    expect(cells).toEqual([]);
  });

  it('lists only the owner’s jobs to a user, everyone’s to support and admin', async () => {
    const ids = async (who: string): Promise<string[]> =>
      (await request<{ items: Array<{ id: string }> }>(`${t.url}/jobs?size=20`, { headers: credentials.get(who)!.headers })).body.items.map((job) => job.id);
    expect(await ids("the owner's password")).toContain(fixture.aliceJob);
    expect(await ids("another user's login cookie")).not.toContain(fixture.aliceJob);
    expect(await ids("an api-only user's key")).not.toContain(fixture.aliceJob);
    expect(await ids("a support user's JWT (X-Auth-Token)")).toContain(fixture.aliceJob);
    expect(await ids("the admin's password")).toContain(fixture.aliceJob);
  });

  it('owns a submission by whoever submitted it', async () => {
    const robot = credentials.get("an api-only user's key")!.headers;
    const submitted = await request<{ id: string; createdBy: { username: string } }>(`${t.url}/jobs`, { method: 'POST', body: JOB, headers: { ...yamlHeaders, ...robot } });
    expect(submitted.body.createdBy).toEqual({ username: 'robot' });
    expect((await request(`${t.url}/jobs/${submitted.body.id}`, { headers: robot })).status).toBe(200);
    expect((await request(`${t.url}/jobs/${submitted.body.id}`, { headers: credentials.get("the owner's password")!.headers })).status).toBe(404);
  });
});
