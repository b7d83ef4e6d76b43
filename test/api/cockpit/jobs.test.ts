/**
 * ClusterCockpit's job records, driven as its Slurm adapter and the page's
 * curl scripts drive them, every answer checked against its swagger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cockpitSchemaErrors, readSpec, specsAvailable } from '../../support/specs.js';
import { request, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';
import { STORES } from '../../support/stores.js';

const CLUSTER = {
  name: 'fritz',
  metricConfig: [{ name: 'cpu_load', unit: { base: '' }, scope: 'node', timestep: 60, aggregation: 'avg', peak: 72, normal: 72, caution: 36, alert: 5 }],
  subClusters: [
    { name: 'main', nodes: 'f[0101-0999]', processorType: 'Intel Icelake', socketsPerNode: 2, coresPerSocket: 36, threadsPerCore: 1 },
    { name: 'spr', nodes: 'f[2101-2999]', processorType: 'Intel Sapphire Rapids', socketsPerNode: 2, coresPerSocket: 52, threadsPerCore: 1 },
  ],
};

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const json = { 'content-type': 'application/json', accept: 'application/json' };

function startPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobId: 100001,
    user: 'alice',
    cluster: 'fritz',
    subCluster: 'main',
    project: 'myproject',
    startTime: 1_700_000_000,
    numNodes: 2,
    numHwthreads: 144,
    walltime: 86_400,
    resources: [{ hostname: 'f0101' }, { hostname: 'f0102' }],
    ...overrides,
  };
}

function valid(definition: string, value: unknown): void {
  if (!specsAvailable) return;
  expect(cockpitSchemaErrors(definition, value), definition).toEqual([]);
}

describe.each(STORES)('ClusterCockpit job records (%s)', (store) => {
  let t: TestServer;
  let api: Record<string, string>;
  let jwtAlice: string;
  const call = <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = api) =>
    request<T>(`${t.url}${path}`, { method, headers: { ...json, ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    t = await startTestServer(store, { auth: { anonymous: {} }, cockpit: { clusters: [CLUSTER] } });
    const identity = t.server.core.identity;
    await identity.addUser({ username: 'robot', roles: ['api'], password: 'robot-password' });
    await identity.addUser({ username: 'alice', roles: ['user'], password: 'alice-password' });
    api = { 'x-auth-token': await identity.issueJwt('robot') };
    jwtAlice = await identity.issueJwt('alice');
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('starts a job (201, its id), refuses the same start again (422), stops it (200, the job), and refuses the stop again (422)', async () => {
    const started = await call('POST', '/api/jobs/start_job/', startPayload());
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ msg: 'success' });
    valid('api.DefaultAPIResponse', started.body);
    const id = started.body.id as number;
    expect(Number.isInteger(id)).toBe(true);

    const again = await call('POST', '/api/jobs/start_job/', startPayload({ startTime: 1_700_000_000 + 3600 }));
    expect(again.status).toBe(422);
    expect(again.body).toEqual({ status: 'Unprocessable Entity', error: `a job with that jobId, cluster and startTime already exists: dbid: ${id}, jobid: 100001` });
    valid('api.ErrorResponse', again.body);
    // A day later the same batch id is another job.
    const nextDay = await call('PUT', '/api/jobs/start_job/', startPayload({ startTime: 1_700_000_000 + 86_400 }));
    expect(nextDay.status).toBe(201);

    const stopped = await call('POST', '/api/jobs/stop_job/', { jobId: 100001, cluster: 'fritz', startTime: 1_700_000_000, jobState: 'completed', stopTime: 1_700_003_600 });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ id, jobId: 100001, jobState: 'completed', duration: 3600, user: 'alice', cluster: 'fritz', subCluster: 'main', numNodes: 2 });
    valid('schema.Job', stopped.body);
    const replay = await call('POST', '/api/jobs/stop_job/', { jobId: 100001, cluster: 'fritz', startTime: 1_700_000_000, jobState: 'completed', stopTime: 1_700_003_600 });
    expect(replay.status).toBe(422);
    expect(replay.body.error).toMatch(/job has already been stopped \(state is: completed\)/);

    // By database id, as the page does; the state defaults to completed.
    const byId = await call('POST', `/api/jobs/stop_job/${nextDay.body.id}`, { cluster: 'fritz', stopTime: 1_700_090_000 });
    expect(byId.status, JSON.stringify(byId.body)).toBe(200);
    expect(byId.body).toMatchObject({ jobState: 'completed', duration: 3600 });
  });

  it('runs the Slurm adapter\'s sequence unchanged: cache query, start 201/422, stop 200/422', async () => {
    const headers = { accept: 'application/ld+json', 'content-type': 'application/json', 'X-AUTH-TOKEN': api['x-auth-token']! };
    const cache = await call('GET', '/api/jobs/?state=running&items-per-page=9999999&page=1&with-metadata=false', undefined, headers);
    expect(cache.status).toBe(200);
    expect(cache.body).toMatchObject({ items: 9999999, page: 1 });
    valid('api.GetJobsAPIResponse', cache.body);
    // The adapter serialises every schema.Job field, zero values included.
    const full = {
      ...startPayload({ jobId: 555, startTime: 1_710_000_000 }),
      partition: 'singlenode',
      arrayJobId: 0,
      numAcc: 0,
      shared: 'none',
      metaData: { jobName: 'ams_pipeline', slurmInfo: 'JobId=555', submitTime: '1709999000' },
    };
    expect((await call('POST', '/api/jobs/start_job/', full, headers)).status).toBe(201);
    expect((await call('POST', '/api/jobs/start_job/', full, headers)).status).toBe(422);
    const running = await call('GET', '/api/jobs/?state=running&items-per-page=9999999&page=1&with-metadata=false', undefined, headers);
    const listed = (running.body.jobs as any[]).find((job) => job.jobId === 555);
    expect(listed).toMatchObject({ jobState: 'running', metaData: { jobName: 'ams_pipeline' } });
    const stop = { jobId: 555, cluster: 'fritz', jobState: 'failed', stopTime: 1_710_000_100 };
    expect((await call('POST', '/api/jobs/stop_job/', stop, headers)).status).toBe(200);
    expect((await call('POST', '/api/jobs/stop_job/', stop, headers)).status).toBe(422);
  });

  it('keeps the node states the adapter reports, per cluster, and lists the nodes running jobs', async () => {
    const report = { cluster: 'fritz', nodes: [{ hostname: 'f0101', states: ['ALLOCATED'], cpusAllocated: 72, memoryAllocated: 256000, gpusAllocated: 0, jobsRunning: 1 }, { hostname: 'f0102', states: ['idle'] }] };
    const answer = await call('POST', '/api/nodestate/', report);
    expect(answer.status).toBe(200);
    valid('api.DefaultAPIResponse', answer.body);
    expect((await call('PUT', '/api/nodestate/', report)).status).toBe(200);
    const states = await t.server.core.records.nodeStates('fritz');
    expect(states.map((node) => [node.hostname, node.state, node.cpusAllocated])).toEqual([['f0101', 'allocated', 72], ['f0102', 'idle', 0]]);
    expect((await call('POST', '/api/nodestate/', { cluster: 'nowhere', nodes: [] })).status).toBe(400);

    await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 6001, startTime: 1_760_000_000, resources: [{ hostname: 'f0301' }, { hostname: 'f0302' }] }));
    const used = await call('GET', '/api/jobs/used_nodes?ts=1760000001');
    expect(used.body.usedNodes.fritz).toEqual(expect.arrayContaining(['f0301', 'f0302']));
    valid('api.GetUsedNodesAPIResponse', used.body);
    expect((await call('GET', '/api/jobs/used_nodes')).status).toBe(400);
  });

  it('hands out a job\'s whole archive, its metadata and metric data, to download', async () => {
    const id = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 6101, startTime: 1_765_000_000, metaData: { jobName: 'archived' } }))).body.id as number;
    await fetch(`${t.url}/api/write/`, { method: 'POST', headers: api, body: 'cpu_load,cluster=fritz,hostname=f0101 value=3 1765000000\ncpu_load,cluster=fritz,hostname=f0101 value=5 1765000010' });
    await call('POST', '/api/jobs/stop_job/', { jobId: 6101, cluster: 'fritz', jobState: 'completed', stopTime: 1_765_000_020 });
    const archive = await fetch(`${t.url}/api/jobs/archive/${id}`, { headers: api });
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-disposition')).toBe('attachment; filename="job-fritz-6101-1765000000.json"');
    const body = (await archive.json()) as any;
    expect(body.meta).toMatchObject({ id, jobId: 6101, metaData: { jobName: 'archived' } });
    expect(body.data.cpu_load.node.series[0]).toMatchObject({ hostname: 'f0101', statistics: { min: 3, avg: 4, max: 5 } });
  });

  it.skipIf(!specsAvailable)('accepts ClusterCockpit\'s own example start and stop payloads', async () => {
    const startExample = JSON.parse(readSpec('clustercockpit-schemas/example-startJobPayload.json')) as Record<string, unknown>;
    const stopExample = JSON.parse(readSpec('clustercockpit-schemas/example-stopJobPayload.json')) as Record<string, unknown>;
    const resources = [{ hostname: 'f0726' }];
    const started = await call('POST', '/api/jobs/start_job/', { ...startExample, resources });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const stopped = await call('POST', '/api/jobs/stop_job/', stopExample);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body).toMatchObject({ jobId: 123000, jobState: 'completed', duration: 1_649_763_839 - 1_649_723_812, partition: 'main', requestedMemory: 128000 });
    valid('schema.Job', stopped.body);
  });

  it('lists jobs with every filter, in both spellings, newest start first, paged', async () => {
    for (let i = 0; i < 6; i++) {
      const answer = await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 2000 + i, user: i % 2 === 0 ? 'bob' : 'carol', project: `p${i % 3}`, startTime: 1_720_000_000 + i * 100, numNodes: i + 1, resources: Array.from({ length: i + 1 }, (_, n) => ({ hostname: `f0${201 + n}` })) }));
      expect(answer.status).toBe(201);
    }
    await call('POST', '/api/jobs/stop_job/', { jobId: 2005, cluster: 'fritz', jobState: 'timeout', stopTime: 1_720_001_000 });
    const ids = async (query: string) => ((await call('GET', `/api/jobs/?${query}`)).body.jobs as any[]).map((job) => job.jobId);
    expect(await ids('user=bob&start-time=1720000000-1720001000')).toEqual([2004, 2002, 2000]);
    expect(await ids('user=bob&startTime[from]=1720000000&startTime[to]=1720001000')).toEqual([2004, 2002, 2000]);
    expect(await ids('project=p1&start-time=1720000000-1720001000')).toEqual([2004, 2001]);
    expect(await ids('state=timeout')).toEqual([2005]);
    expect(await ids('state=timeout&state=running&start-time=1720000000-1720001000&user=carol')).toEqual([2005, 2003, 2001]);
    expect(await ids('numNodes[from]=4&numNodes[to]=5&start-time=1720000000-1720001000')).toEqual([2004, 2003]);
    expect(await ids('jobId=2003')).toEqual([2003]);
    expect(await ids('cluster=fritz&start-time=1720000000-1720001000&items-per-page=2&page=2')).toEqual([2003, 2002]);
    expect(await ids('cluster=fritz&start-time=1720000000-1720001000&items_per_page=4&page=2')).toEqual([2001, 2000]);
    const page = await call('GET', '/api/jobs/?start-time=1720000000-1720001000&items-per-page=2');
    expect(page.body).toMatchObject({ items: 2, page: 1 });
    valid('api.GetJobsAPIResponse', page.body);
    for (const job of page.body.jobs) valid('schema.Job', job);
    expect(page.body.jobs[0]).not.toHaveProperty('metaData');
    expect((await call('GET', '/api/jobs/?start-time=1720000000-1720001000&items-per-page=2&with-metadata=true')).body.jobs[0]).toHaveProperty('metaData');
  });

  it('reads one job with its metric data, and scopes the user API to the caller\'s own jobs', async () => {
    const hosts = [{ hostname: 'f0401' }, { hostname: 'f0402' }];
    const mine = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 3001, user: 'alice', startTime: 1_730_000_000, resources: hosts }))).body.id as number;
    const theirs = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 3002, user: 'dave', startTime: 1_730_000_000 }))).body.id as number;
    const one = await call('GET', `/api/jobs/${mine}`);
    expect(one.status).toBe(200);
    expect(one.body.meta).toMatchObject({ id: mine, jobId: 3001, user: 'alice' });
    expect(Array.isArray(one.body.data)).toBe(true);
    valid('api.GetJobAPIResponse', one.body);
    expect((await call('POST', `/api/jobs/${mine}`, ['cpu_load'])).status).toBe(200);

    const asAlice = { authorization: `Bearer ${jwtAlice}` };
    const own = await call('GET', '/userapi/jobs/?start-time=1730000000-1730000000', undefined, asAlice);
    expect((own.body.jobs as any[]).map((job) => job.jobId)).toEqual([3001]);
    valid('api.GetJobsAPIResponse', own.body);
    expect((await call('GET', `/userapi/jobs/${mine}`, undefined, asAlice)).body.meta.jobId).toBe(3001);
    expect((await call('GET', `/userapi/jobs/${theirs}`, undefined, asAlice)).status).toBe(404);
    // The admin API is for admins and API users.
    const refused = await call('GET', '/api/jobs/', undefined, asAlice);
    expect(refused.status).toBe(403);
    valid('api.ErrorResponse', refused.body);
    expect((await call('GET', '/api/jobs/', undefined, basic('admin', TEST_ADMIN_PASSWORD))).status).toBe(200);
  });

  it('tags jobs within the scope rules, removes tags from a job and from every job, and edits metadata', async () => {
    const id = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 4001, startTime: 1_740_000_000 }))).body.id as number;
    const tagged = await call('PATCH', `/api/jobs/tag_job/${id}`, [{ type: 'review', name: 'problematic', scope: 'global' }]);
    expect(tagged.status).toBe(200);
    expect(tagged.body.tags).toEqual([expect.objectContaining({ type: 'review', name: 'problematic', scope: 'global' })]);
    valid('schema.Job', tagged.body);
    // The API user may set admin tags; only admins and support see them, as in ClusterCockpit.
    expect((await call('POST', `/api/jobs/tag_job/${id}`, [{ type: 'size', name: 'large-job', scope: 'admin' }])).body.tags).toHaveLength(1);
    expect((await call('GET', `/api/jobs/${id}`, undefined, basic('admin', TEST_ADMIN_PASSWORD))).body.meta.tags.map((tag: any) => tag.name)).toEqual(['problematic', 'large-job']);
    // Private tags are the tagger's own.
    expect((await call('POST', `/api/jobs/tag_job/${id}`, [{ type: 'note', name: 'mine', scope: 'private' }])).body.tags.map((tag: any) => tag.scope)).toContain('robot');
    const bad = await call('POST', `/api/jobs/tag_job/${id}`, [{ type: 'x', name: 'y', scope: 'everyone' }]);
    expect(bad.status).toBe(400);

    const removed = await call('DELETE', `/api/jobs/tag_job/${id}`, [{ type: 'review', name: 'problematic', scope: 'global' }]);
    expect(removed.status).toBe(200);
    expect(removed.body.tags.map((tag: any) => tag.name)).not.toContain('problematic');
    const gone = await fetch(`${t.url}/api/tags/`, { method: 'DELETE', headers: { ...json, ...api }, body: JSON.stringify([{ type: 'size', name: 'large-job', scope: 'admin' }, { type: 'note', name: 'mine', scope: 'robot' }]) });
    expect(gone.status).toBe(200);
    expect(await gone.text()).toBe('Deleted Tags from DB: 1 successfull of 2 requested\n');
    expect((await call('GET', `/api/jobs/${id}`)).body.meta.tags.map((tag: any) => tag.name)).toEqual(['mine']);
    expect((await call('GET', `/api/jobs/${id}`, undefined, basic('admin', TEST_ADMIN_PASSWORD))).body.meta.tags).toEqual([]);

    const edited = await call('PATCH', `/api/jobs/edit_meta/${id}`, { key: 'note', value: 'High memory variance detected — check NUMA binding' });
    expect(edited.status).toBe(200);
    expect(edited.body.metaData).toEqual({ note: 'High memory variance detected — check NUMA binding' });
    valid('schema.Job', edited.body);
    const merged = await call('PATCH', '/api/jobs/edit_meta/', { jobId: 4001, cluster: 'fritz', startTime: 1_740_000_000, payload: [{ key: 'owner', value: 'ops' }] });
    expect(merged.body.metaData).toEqual({ note: 'High memory variance detected — check NUMA binding', owner: 'ops' });
  });

  it('deletes jobs by payload, by id, and those stopped before a time', async () => {
    const a = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 5001, startTime: 1_600_000_000 }))).body.id as number;
    await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 5002, startTime: 1_600_000_000 }));
    const c = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 5003, startTime: 1_600_000_000 }))).body.id as number;
    for (const jobId of [5002, 5003]) await call('POST', '/api/jobs/stop_job/', { jobId, cluster: 'fritz', jobState: 'completed', stopTime: 1_600_000_100 });
    await call('PATCH', `/api/jobs/tag_job/${c}`, [{ type: 'keep', name: 'me', scope: 'global' }]);

    const byPayload = await call('DELETE', '/api/jobs/delete_job/', { jobId: 5001, cluster: 'fritz', startTime: 1_600_000_000 });
    expect(byPayload.body).toEqual({ msg: `Successfully deleted job ${a}` });
    valid('api.DefaultAPIResponse', byPayload.body);
    expect((await call('GET', `/api/jobs/${a}`)).status).toBe(404);
    const before = await call('DELETE', '/api/jobs/delete_job_before/1600000200?omit-tagged=all');
    expect(before.body).toEqual({ msg: 'Successfully deleted 1 jobs' });
    const byId = await call('DELETE', `/api/jobs/delete_job/${c}`);
    expect(byId.body).toEqual({ msg: `Successfully deleted job ${c}` });
  });

  it('refuses bad input with ClusterCockpit\'s error body and status', async () => {
    const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, RegExp]> = [
      ['a missing field', () => call('POST', '/api/jobs/start_job/', { ...startPayload(), jobId: undefined }), 400, /jobId/],
      ['a wrong type', () => call('POST', '/api/jobs/start_job/', startPayload({ numNodes: 'two' })), 400, /numNodes/],
      ['an unknown field', () => call('POST', '/api/jobs/start_job/', startPayload({ colour: 'red' })), 400, /unknown field "colour"/],
      ['an unknown cluster', () => call('POST', '/api/jobs/start_job/', startPayload({ cluster: 'nowhere', jobId: 9 })), 400, /no such cluster: nowhere/],
      ['an unknown subcluster', () => call('POST', '/api/jobs/start_job/', startPayload({ subCluster: 'nope', jobId: 9 })), 400, /subcluster nope/],
      ['resources not matching numNodes', () => call('POST', '/api/jobs/start_job/', startPayload({ numNodes: 3, jobId: 9 })), 400, /len\(resources\) does not equal numNodes \(2 vs 3\)/],
      ['no user', () => call('POST', '/api/jobs/start_job/', startPayload({ user: '', jobId: 9 })), 400, /'resources' and 'user' should not be empty/],
      ['not JSON', () => call('POST', '/api/jobs/start_job/', '{nope'), 400, /^parsing request body failed/],
      ['stopTime before startTime', async () => {
        await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 9001, startTime: 1_750_000_000 }));
        return call('POST', '/api/jobs/stop_job/', { jobId: 9001, cluster: 'fritz', jobState: 'completed', stopTime: 1_749_999_999 });
      }, 400, /stopTime 1749999999 must be larger\/equal than startTime 1750000000/],
      ['a bad stop state', () => call('POST', '/api/jobs/stop_job/', { jobId: 9001, cluster: 'fritz', jobState: 'exploded', stopTime: 1_750_000_100 }), 400, /invalid requested job state/],
      ['a stop of an unknown job', () => call('POST', '/api/jobs/stop_job/', { jobId: 424242, cluster: 'fritz', stopTime: 1_750_000_100 }), 404, /no job with jobId 424242/],
      ['a stop without jobId', () => call('POST', '/api/jobs/stop_job/', { cluster: 'fritz', stopTime: 1 }), 400, /the field 'jobId' is required/],
      ['a non-numeric id', () => call('GET', '/api/jobs/abc'), 400, /integer expected in path for id/],
      ['an unknown id', () => call('GET', '/api/jobs/987654'), 404, /no job with id 987654/],
      ['an unknown query parameter', () => call('GET', '/api/jobs/?colour=red'), 400, /invalid query parameter: colour/],
      ['a bad state', () => call('GET', '/api/jobs/?state=sleeping'), 400, /invalid query parameter value: state/],
      ['a bad start-time', () => call('GET', '/api/jobs/?start-time=yesterday'), 400, /invalid query parameter value: startTime/],
      ['page 0', () => call('GET', '/api/jobs/?page=0'), 400, /page must be >= 1/],
      ['a tag with a bad scope', () => call('POST', '/api/jobs/start_job/', startPayload({ jobId: 9100, tags: [{ type: 'a', name: 'b', scope: 'somewhere' }] })), 400, /tag scope somewhere/],
      ['a delete_job_before in the future', () => call('DELETE', `/api/jobs/delete_job_before/${Math.floor(Date.now() / 1000) + 3600}`), 400, /in the future/],
      ['a bad omit-tagged', () => call('DELETE', '/api/jobs/delete_job_before/100?omit-tagged=some'), 400, /omit-tagged must be one of: none, all, user/],
      ['a non-numeric ts', () => call('DELETE', '/api/jobs/delete_job_before/soon'), 400, /integer expected in path for ts/],
      ['removing an unknown tag from a job', async () => {
        const id = (await call('POST', '/api/jobs/start_job/', startPayload({ jobId: 9200, startTime: 1_750_000_000 }))).body.id;
        return call('DELETE', `/api/jobs/tag_job/${id}`, [{ type: 'no', name: 'such', scope: 'global' }]);
      }, 404, /tag does not exist/],
    ];
    for (const [what, answer, status, message] of cases) {
      const got = await answer();
      expect(got.status, what).toBe(status);
      expect(got.body.error, what).toMatch(message);
      expect(got.body.status, what).toBeTypeOf('string');
      valid('api.ErrorResponse', got.body);
    }
  });

  it('lists the clusters, this installation among them, and the users', async () => {
    const clusters = await call('GET', '/api/clusters/');
    expect(clusters.status).toBe(200);
    expect(clusters.body.clusters.map((cluster: any) => cluster.name)).toEqual(['gantry', 'fritz']);
    valid('api.GetClustersAPIResponse', clusters.body);
    expect((await call('GET', '/api/clusters/?cluster=fritz')).body.clusters).toEqual([CLUSTER]);
    const own = await call('POST', '/api/jobs/start_job/', startPayload({ cluster: 'gantry', subCluster: undefined, jobId: 1, resources: [{ hostname: 'anyhost' }], numNodes: 1 }));
    expect(own.status).toBe(201);
    const users = await call('GET', '/api/users/?not-just-user=true', undefined, basic('admin', TEST_ADMIN_PASSWORD));
    expect(users.status).toBe(200);
    expect((users.body as any[]).map((user) => user.username).sort()).toEqual(['admin', 'alice', 'robot']);
    for (const user of users.body as any[]) valid('api.APIReturnedUser', user);
    expect((await call('GET', '/api/users/', undefined, basic('admin', TEST_ADMIN_PASSWORD))).body.map((user: any) => user.username)).toEqual(['alice']);
  });
});
