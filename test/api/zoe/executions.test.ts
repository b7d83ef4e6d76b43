/**
 * Zoe executions, driven as Zoe's Python client and the page's curl examples
 * drive them: real services in their execution's private network, talking to
 * each other by the names discovery gives, their logs, their ports, and the
 * queue of a cluster too small for two executions at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, request, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';
import { readSpec, specsAvailable } from '../../support/specs.js';
import { STORES } from '../../support/stores.js';
import { ZoeClient, zoeCall, type ZoeAnswer } from './zoe-client.js';
import { idle, service, webServer, zapp } from './zapps.js';

const ALICE = 'alice-password';
const BOB = 'bob-password';

async function statusOf(client: ZoeClient, id: number): Promise<string> {
  return (await client.call('GET', `/execution/${id}`)).body.status;
}

function untilStatus(client: ZoeClient, id: number, wanted: string | string[], timeoutMs = 20_000): Promise<ZoeAnswer> {
  const statuses = Array.isArray(wanted) ? wanted : [wanted];
  return eventually(
    async () => {
      const answer = await client.call('GET', `/execution/${id}`);
      return statuses.includes(answer.body?.status) ? answer : undefined;
    },
    timeoutMs,
    `execution ${id} to be ${statuses.join(' or ')}`,
  );
}

describe.each(STORES)('Zoe executions (%s)', (store) => {
  let t: TestServer;
  let alice: ZoeClient;
  let bob: ZoeClient;
  let admin: ZoeClient;

  beforeAll(async () => {
    t = await startTestServer(store, { auth: { anonymous: {} }, apps: { tickMs: 200 } });
    await t.server.core.identity.addUser({ username: 'alice', roles: ['user'], password: ALICE });
    await t.server.core.identity.addUser({ username: 'bob', roles: ['user'], password: BOB });
    alice = new ZoeClient(t.url, 'alice', ALICE);
    bob = new ZoeClient(t.url, 'bob', BOB);
    admin = new ZoeClient(t.url, 'admin', TEST_ADMIN_PASSWORD);
    for (const client of [alice, bob, admin]) expect((await client.login()).status).toBe(200);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('runs a two-service ZApp whose services reach each other by their discovery names, then ends when its monitor exits', async () => {
    const app = zapp('pair', [
      webServer('web'),
      service({
        name: 'client',
        monitor: true,
        startupOrder: 1,
        environment: [['WEB', '{dns_name#web0}']],
        command:
          'for i in 1 2 3 4 5 6 7 8 9 10; do python3 -c "import urllib.request,os;print(urllib.request.urlopen(\'http://\'+os.environ[\'WEB\']+\':8080/index.html\', timeout=2).read().decode().strip())" && exit 0; sleep 0.3; done; exit 1',
      }),
    ]);
    const started = await alice.start('talk', app);
    expect(started.status).toBe(201);
    const id = started.body.execution_id as number;
    expect(Number.isInteger(id)).toBe(true);

    const ended = await untilStatus(alice, id, ['terminated', 'error']);
    expect(ended.body).toMatchObject({ id, status: 'terminated', user_id: 'alice', name: 'talk', error_message: null, size: 1 });
    expect(ended.body.description).toEqual(app);
    expect(ended.body.time_end).toBeGreaterThanOrEqual(ended.body.time_start);
    expect(ended.body.time_start).toBeGreaterThanOrEqual(ended.body.time_submit);
    expect(ended.body.services).toHaveLength(2);

    const [webId, clientId] = ended.body.services as number[];
    const client = await alice.call('GET', `/service/${clientId}`);
    expect(client.body).toMatchObject({ id: clientId, name: 'client0', service_group: 'client', execution_id: id, status: 'inactive', essential: true });
    // The log is the client's output: the page the web server (found by its DNS name) served.
    const log = await alice.call('GET', `/service/logs/${clientId}`);
    expect(log.status).toBe(200);
    const lines = log.text.trim().split('\n').map((line) => line.slice(line.indexOf(' ') + 1));
    expect(lines).toContain('hello from web0');
    for (const line of log.text.trim().split('\n')) expect(Number.isNaN(Date.parse(line.slice(0, line.indexOf(' '))))).toBe(false);
    const web = await alice.call('GET', `/service/${webId}`);
    expect(web.body).toMatchObject({ name: 'web0', status: 'inactive', ip_address: null });
  });

  it('reports services, discovery names and endpoints while an execution runs, and streams a log until the service exits', async () => {
    const app = zapp('web-app', [webServer('web', { total: 2, essential: 2 }), idle('keeper')]);
    const { body } = await alice.start('web', app);
    const id = body.execution_id as number;
    const running = await untilStatus(alice, id, 'running');
    const services = await Promise.all((running.body.services as number[]).map((sid) => alice.call('GET', `/service/${sid}`)));
    expect(services.map((s) => s.body.name)).toEqual(['web0', 'web1', 'keeper0']);
    for (const s of services) {
      expect(s.body).toMatchObject({ status: 'active', backend_status: 'started', execution_id: id });
      expect(s.body.ip_address).toMatch(/^10\.77\.\d+\.\d+$/);
      expect(s.body.backend_id).toMatch(/^\d+$/);
    }
    expect(new Set(services.map((s) => s.body.ip_address)).size).toBe(3);

    const discovery = await alice.call('GET', `/discovery/by_group/${id}/web`);
    expect(discovery.body).toEqual({ service_type: 'web', execution_id: String(id), dns_names: [`web0-${id}-gantry`, `web1-${id}-gantry`] });
    expect((await alice.call('GET', `/discovery/by_group/${id}/all`)).body.dns_names).toHaveLength(3);

    // Each exposed port is a link a user can open.
    const endpoints = await alice.call('GET', `/execution/endpoints/${id}`);
    expect(endpoints.body.endpoints).toHaveLength(2);
    const pages = await Promise.all(endpoints.body.endpoints.map(async ([name, url, proxy]: [string, string, null]) => {
      expect(proxy).toBeNull();
      expect(name).toMatch(/^web[01] web page$/);
      // Active means its process runs; the server in it may take a moment more to listen.
      return eventually(async () => (await fetch(url)).text(), 10_000, `${url} to answer`);
    }));
    expect(pages.map((page) => page.trim()).sort()).toEqual(['hello from web0', 'hello from web1']);

    // The web server's log streams live, and the stream closes once the service is stopped.
    const logPromise = alice.call('GET', `/service/logs/${services[0]!.body.id}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const terminated = await alice.call('DELETE', `/execution/${id}`);
    expect(terminated.status).toBe(204);
    const log = await logPromise;
    expect(log.status).toBe(200);
    expect(log.text).toContain('GET /index.html');
    const ended = await untilStatus(alice, id, 'terminated');
    expect(ended.body.error_message).toBeNull();
    const after = await alice.call('GET', `/service/${services[0]!.body.id}`);
    expect(after.body).toMatchObject({ status: 'inactive', backend_status: 'destroyed', ip_address: null });
  });

  it('keeps executions apart: one cannot reach another\'s services, even by address', async () => {
    const first = (await alice.start('lone', zapp('lone', [webServer('web', { monitor: true })]))).body.execution_id as number;
    const firstRun = await untilStatus(alice, first, 'running');
    const webAddress = (await alice.call('GET', `/service/${firstRun.body.services[0]}`)).body.ip_address as string;
    const probe = service({
      name: 'probe',
      monitor: true,
      environment: [['TARGET', webAddress], ['NAME', `web0-${first}-gantry`]],
      command:
        'python3 -c "import urllib.request,os,socket\ntry:\n  urllib.request.urlopen(\'http://\'+os.environ[\'TARGET\']+\':8080/\', timeout=1); print(\'reached\')\nexcept Exception as e: print(\'unreachable\')\ntry:\n  socket.gethostbyname(os.environ[\'NAME\']); print(\'resolved\')\nexcept Exception: print(\'unknown name\')"',
    });
    const second = (await bob.start('probe', zapp('probe', [probe]))).body.execution_id as number;
    const probed = await untilStatus(bob, second, ['terminated', 'error']);
    const log = await bob.call('GET', `/service/logs/${probed.body.services[0]}`);
    expect(log.text).toContain('unreachable');
    expect(log.text).toContain('unknown name');
    expect(log.text).not.toContain('reached\n');
    expect((await alice.call('DELETE', `/execution/${first}`)).status).toBe(204);
    await untilStatus(alice, first, 'terminated');
  });

  it('lists executions as a map keyed by id, with every filter of the page, each user seeing their own and an admin all', async () => {
    const before = Date.now() / 1000;
    const mine = (await alice.start('listed', zapp('listed', [idle('idle')]))).body.execution_id as number;
    const theirs = (await bob.start('listed', zapp('listed', [idle('idle')]))).body.execution_id as number;
    await untilStatus(alice, mine, 'running');
    await untilStatus(bob, theirs, 'running');

    const own = await alice.call('GET', '/execution');
    expect(own.status).toBe(200);
    expect(Object.keys(own.body)).toContain(String(mine));
    expect(Object.keys(own.body)).not.toContain(String(theirs));
    for (const [key, value] of Object.entries(own.body as Record<string, any>)) {
      expect(value.id).toBe(Number(key));
      expect(value.user_id).toBe('alice');
    }
    // user_id is for admins; for anyone else it is themselves.
    expect(Object.keys((await alice.call('GET', '/execution?user_id=bob')).body)).not.toContain(String(theirs));
    const all = await admin.call('GET', '/execution?name=listed&status=running');
    expect(Object.keys(all.body).sort()).toEqual([String(mine), String(theirs)].sort());
    expect(Object.keys((await admin.call('GET', '/execution?user_id=bob&name=listed')).body)).toEqual([String(theirs)]);
    // Zoe's client (`zoe exec-ls`) sends the logged-in user's id, as /login answered it.
    const bobId = (await bob.login()).body.user.id as string;
    expect(Object.keys((await admin.call('GET', `/execution?user_id=${bobId}&name=listed`)).body)).toEqual([String(theirs)]);
    expect(Object.keys((await bob.call('GET', `/execution?user_id=${bobId}&name=listed`)).body)).toEqual([String(theirs)]);
    expect(Object.keys((await admin.call('GET', '/execution?name=listed&limit=1')).body)).toEqual([String(theirs)]);
    expect(Object.keys((await admin.call('GET', `/execution?name=listed&later_than_submit=${before}`)).body)).toHaveLength(2);
    expect(Object.keys((await admin.call('GET', `/execution?name=listed&earlier_than_submit=${before - 3600}`)).body)).toHaveLength(0);
    expect(Object.keys((await admin.call('GET', `/execution?name=listed&later_than_start=${before}&earlier_than_start=${Date.now() / 1000 + 60}`)).body)).toHaveLength(2);
    expect(Object.keys((await admin.call('GET', '/execution?name=listed&status=terminated')).body)).toHaveLength(0);

    // Terminate as the client does: DELETE, then poll until terminated; then delete the record.
    expect((await alice.call('DELETE', `/execution/${mine}`)).status).toBe(204);
    await untilStatus(alice, mine, 'terminated');
    expect(Object.keys((await admin.call('GET', `/execution?name=listed&later_than_end=${before}&status=terminated`)).body)).toEqual([String(mine)]);
    // Bob's execution is deleted while it runs: terminated first.
    expect((await bob.call('DELETE', `/execution/delete/${theirs}`)).status).toBe(204);
    const gone = await bob.call('GET', `/execution/${theirs}`);
    expect(gone.status).toBe(404);
    expect(gone.reason).toBe('No such execution');
    expect(gone.body).toEqual({ message: 'No such execution' });
    expect((await alice.call('DELETE', `/execution/delete/${mine}`)).status).toBe(204);
  });

  it('accepts a start as the page sends it: curl -u with --data-urlencode @file', async () => {
    const text = JSON.stringify({ application: zapp('curl-app', [idle('idle')]), name: 'from curl' });
    const answer = await zoeCall(`${t.url}/api/0.7/execution`, {
      method: 'POST',
      body: encodeURIComponent(text),
      headers: { authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(answer.status).toBe(201);
    const id = answer.body.execution_id as number;
    const details = await request<Record<string, any>>(`${t.url}/api/0.7/execution/${id}`, { headers: { authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}` } });
    expect(details.body).toMatchObject({ id, name: 'from curl', user_id: 'alice' });
    await alice.call('DELETE', `/execution/delete/${id}`);
  });

  it('refuses bad input with a 4xx, the message in the reason phrase and in {"message"}', async () => {
    const cases: Array<{ what: string; answer: () => Promise<ZoeAnswer>; status: number; message: RegExp }> = [
      { what: 'no services', answer: () => alice.start('x', { ...zapp('bad', []) }), status: 400, message: /^Invalid application description: services/ },
      {
        what: 'essential above total',
        answer: () => alice.start('x', zapp('bad', [idle('idle', { essential: 3, total: 2 })])),
        status: 400,
        message: /essential_count/,
      },
      { what: 'negative memory', answer: () => alice.start('x', zapp('bad', [idle('idle', { memory: -5 })])), status: 400, message: /memory\.min/ },
      { what: 'unknown key', answer: () => alice.start('x', { ...zapp('bad', [idle('idle')]), colour: 'red' }), status: 400, message: /unknown field colour/ },
      { what: 'version 2', answer: () => alice.start('x', { ...zapp('bad', [idle('idle')]), version: 2 }), status: 400, message: /version mismatch \(expected: 3, found: 2/ },
      {
        what: 'non-JSON',
        answer: () => alice.call('POST', '/execution').then(() => zoeCall(`${t.url}/api/0.7/execution`, { method: 'POST', body: '{nope', headers: { authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}`, 'content-type': 'application/json' } })),
        status: 400,
        message: /^Error decoding JSON data/,
      },
      { what: 'no name', answer: () => alice.call('POST', '/execution', { application: zapp('ok', [idle('idle')]) }), status: 400, message: /name is required/ },
      {
        what: 'bigger than the whole cluster',
        answer: () => alice.start('x', zapp('huge', [idle('idle', { cores: 100_000 })])),
        status: 400,
        message: /essential services need 100000 cores/,
      },
      {
        what: 'an unknown variable in the environment',
        answer: () => alice.start('x', zapp('env', [idle('idle', { environment: [['X', '{dns_name#nobody0}']] })])),
        status: 400,
        message: /Unknown variable in environment expression/,
      },
      { what: 'a service without a command', answer: () => alice.start('x', zapp('cmd', [{ ...idle('idle'), command: null }])), status: 400, message: /command/ },
      { what: 'an unknown execution', answer: () => alice.call('GET', '/execution/999999'), status: 404, message: /^No such execution$/ },
      { what: 'a non-numeric id', answer: () => alice.call('GET', '/execution/abc'), status: 404, message: /^No such execution$/ },
      { what: 'an unknown service', answer: () => alice.call('GET', '/service/999999'), status: 404, message: /^No such service$/ },
      { what: 'an unknown filter', answer: () => alice.call('GET', '/execution?colour=red'), status: 400, message: /unknown filter colour/ },
      { what: 'an unknown status', answer: () => alice.call('GET', '/execution?status=sleeping'), status: 400, message: /status sleeping/ },
      { what: 'a bad limit', answer: () => alice.call('GET', '/execution?limit=-1'), status: 400, message: /limit/ },
      { what: 'a bad time', answer: () => alice.call('GET', '/execution?later_than_submit=yesterday'), status: 400, message: /later_than_submit/ },
    ];
    for (const { what, answer, status, message } of cases) {
      const got = await answer();
      expect(got.status, what).toBe(status);
      expect(got.reason, what).toMatch(message);
      expect(got.body?.message, what).toMatch(message);
    }
  });

  it('hides one user\'s execution from another and refuses to terminate one that is not running', async () => {
    const id = (await alice.start('private', zapp('private', [idle('idle')]))).body.execution_id as number;
    await untilStatus(alice, id, 'running');
    for (const path of [`/execution/${id}`, `/execution/endpoints/${id}`, `/discovery/by_group/${id}/all`]) {
      const answer = await bob.call('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.reason, path).toBe('No such execution');
    }
    expect((await bob.call('DELETE', `/execution/${id}`)).status).toBe(404);
    expect((await bob.call('DELETE', `/execution/delete/${id}`)).status).toBe(404);
    const services = (await alice.call('GET', `/execution/${id}`)).body.services as number[];
    expect((await bob.call('GET', `/service/${services[0]}`)).status).toBe(404);
    expect((await bob.call('GET', `/service/logs/${services[0]}`)).status).toBe(404);
    // An admin sees it and may end it.
    expect((await admin.call('GET', `/execution/${id}`)).body.user_id).toBe('alice');
    expect((await admin.call('DELETE', `/execution/${id}`)).status).toBe(204);
    await untilStatus(alice, id, 'terminated');
    const again = await alice.call('DELETE', `/execution/${id}`);
    expect(again.status).toBe(400);
    expect(again.reason).toBe('Execution is not running');
  });

  it('applies a service\'s memory limit: a service that takes more is killed, and its execution ends in error', async () => {
    const hog = service({
      name: 'hog',
      monitor: true,
      memory: 64 * 1024 ** 2,
      command: 'python3 -c "b = bytearray(512 * 1024 * 1024); b[::4096] = b\'x\' * len(b[::4096]); print(\'allocated\')"',
    });
    const id = (await alice.start('hog', zapp('hog', [{ ...hog, resources: { memory: { min: 64 * 1024 ** 2, max: 64 * 1024 ** 2 }, cores: { min: null, max: null } } }]))).body.execution_id as number;
    const ended = await untilStatus(alice, id, ['error', 'terminated']);
    expect(ended.body.status).toBe('error');
    const hogService = (await alice.call('GET', `/service/${ended.body.services[0]}`)).body;
    expect(['oom-killed', 'dead']).toContain(hogService.backend_status);
    expect((await alice.call('GET', `/service/logs/${ended.body.services[0]}`)).text).not.toContain('allocated');
  });

  it('ends an execution in error when its monitor service fails, with the reason', async () => {
    const id = (await alice.start('failing', zapp('failing', [idle('helper', { monitor: false }), service({ name: 'main', monitor: true, command: 'echo giving up >&2; exit 3' })]))).body.execution_id as number;
    const ended = await untilStatus(alice, id, 'error');
    expect(ended.body.error_message).toMatch(/service main0 failed: exit code 3/);
    await eventually(async () => ((await alice.call('GET', `/service/${ended.body.services[0]}`)).body.status === 'inactive' ? true : undefined));
  });
});

describe('Zoe scheduling on a small cluster (sqlite)', () => {
  let t: TestServer;
  let admin: ZoeClient;
  let cores: number;

  beforeAll(async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} }, apps: { tickMs: 200 } });
    admin = new ZoeClient(t.url, 'admin', TEST_ADMIN_PASSWORD);
    await admin.login();
    // The one node of the embedded worker, as the scheduler counts it.
    const nodes = await eventually(async () => {
      const rows = await t.server.core.store.db.selectFrom('nodes').select('capacity_cpus').where('status', '=', 'UP').execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(nodes).toHaveLength(1);
    cores = nodes[0]!.capacity_cpus;
    expect(cores).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('runs all essential instances of an execution at once, and queues a second one that does not fit until the first ends', async () => {
    // Two services of 0.3 of the node each: together 0.6, so a second such execution cannot start beside the first.
    const big = () => zapp('big', [idle('one', { cores: cores * 0.3 }), idle('two', { cores: cores * 0.3, monitor: false })]);
    const firstAnswer = await admin.start('first', big());
    expect(firstAnswer.body, firstAnswer.reason).toHaveProperty('execution_id');
    const first = firstAnswer.body.execution_id as number;
    await untilStatus(admin, first, 'running');
    const second = (await admin.start('second', big())).body.execution_id as number;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statusOf(admin, second)).toBe('queued');
    const secondServices = (await admin.call('GET', `/execution/${second}`)).body.services as number[];
    // Gang: none of the second's services started on the room that was left.
    for (const sid of secondServices) expect((await admin.call('GET', `/service/${sid}`)).body).toMatchObject({ status: 'created', backend_status: 'undefined' });
    const stats = await zoeCall(`${t.url}/api/0.7/statistics/scheduler`);
    expect(stats.body).toMatchObject({ queue_length: 1, termination_threads_count: 0, queue: [second], running_queue: [first] });

    expect((await admin.call('DELETE', `/execution/${first}`)).status).toBe(204);
    await untilStatus(admin, second, 'running');
    for (const sid of secondServices) expect((await admin.call('GET', `/service/${sid}`)).body.status).toBe('active');
    expect((await zoeCall(`${t.url}/api/0.7/statistics/scheduler`)).body.queue_length).toBe(0);
    await admin.call('DELETE', `/execution/${second}`);
    await untilStatus(admin, second, 'terminated');
  });

  it('adds elastic instances as room allows and stops them first when a queued execution needs the room', async () => {
    // One essential instance and three elastic ones of 0.2 of the node each: 0.8 in all.
    const elastic = zapp('elastic', [idle('worker', { cores: cores * 0.2, essential: 1, total: 4 })]);
    const first = (await admin.start('elastic', elastic)).body.execution_id as number;
    await untilStatus(admin, first, 'running');
    const ids = (await admin.call('GET', `/execution/${first}`)).body.services as number[];
    const statuses = async () => Promise.all(ids.map(async (sid) => (await admin.call('GET', `/service/${sid}`)).body.status as string));
    await eventually(async () => ((await statuses()).every((status) => status === 'active') ? true : undefined), 15_000, 'every elastic instance active');

    // A second execution needs half the node: two of the first's elastic instances make room for it.
    const second = (await admin.start('half', zapp('half', [idle('main', { cores: cores * 0.5 })]))).body.execution_id as number;
    await untilStatus(admin, second, 'running');
    const after = await eventually(async () => {
      const now = await statuses();
      return now.filter((status) => status === 'active').length === 2 ? now : undefined;
    }, 15_000, 'two elastic instances stopped');
    expect(after[0]).toBe('active'); // the essential instance stays
    expect(after.filter((status) => status === 'runnable')).toHaveLength(2);
    expect(await statusOf(admin, first)).toBe('running');

    // When the second ends, the room goes back to the waiting elastic instances.
    await admin.call('DELETE', `/execution/${second}`);
    await eventually(async () => ((await statuses()).every((status) => status === 'active') ? true : undefined), 15_000, 'elastic instances back');
    await admin.call('DELETE', `/execution/${first}`);
    await untilStatus(admin, first, 'terminated');
  });

  it('orders the queue by size under the SIZE policy', async () => {
    // Checked on the placement itself: the server's policy is fixed at start.
    const { orderQueue } = await import('../../../src/scheduler/app-placement.js');
    const queued = [
      { jobId: 'a', jobOrder: 1, size: 30, essential: { cores: 1, memoryBytes: 0 } },
      { jobId: 'b', jobOrder: 2, size: 10, essential: { cores: 1, memoryBytes: 0 } },
      { jobId: 'c', jobOrder: 3, size: 10, essential: { cores: 1, memoryBytes: 0 } },
    ];
    expect(orderQueue(queued, 'SIZE').map((q) => q.jobId)).toEqual(['b', 'c', 'a']);
    expect(orderQueue(queued, 'FIFO').map((q) => q.jobId)).toEqual(['a', 'b', 'c']);
  });
});

describe('Zoe executions across a restart (sqlite)', () => {
  it('finds every execution after a restart: queued ones stay queued, running ones start again', async () => {
    const first = await startTestServer('sqlite', { auth: { anonymous: {} }, apps: { tickMs: 200 } });
    let second: TestServer | undefined;
    try {
      const admin = new ZoeClient(first.url, 'admin', TEST_ADMIN_PASSWORD);
      await admin.login();
      const cores = (await first.server.core.store.db.selectFrom('nodes').select('capacity_cpus').executeTakeFirstOrThrow()).capacity_cpus;
      const running = (await admin.start('survivor', zapp('survivor', [webServer('web', { monitor: true, cores: cores * 0.6 })]))).body.execution_id as number;
      const queued = (await admin.start('waiting', zapp('waiting', [idle('idle', { cores: cores * 0.6 })]))).body.execution_id as number;
      const before = await untilStatus(admin, running, 'running');
      const oldBackend = (await admin.call('GET', `/service/${before.body.services[0]}`)).body.backend_id;
      expect(await statusOf(admin, queued)).toBe('queued');
      await first.close();

      second = await startTestServer('sqlite', { auth: { anonymous: {} }, apps: { tickMs: 200 } }, { database: first.database });
      const again = new ZoeClient(second.url, 'admin', TEST_ADMIN_PASSWORD);
      await again.login();
      const restarted = await untilStatus(again, running, 'running');
      expect(restarted.body.services).toEqual(before.body.services);
      const service = (await again.call('GET', `/service/${restarted.body.services[0]}`)).body;
      expect(service.status).toBe('active');
      expect(service.backend_id).not.toBe(oldBackend);
      expect(await statusOf(again, queued)).toBe('queued');
      expect((await again.call('DELETE', `/execution/${running}`)).status).toBe(204);
      await untilStatus(again, queued, 'running');
      await again.call('DELETE', `/execution/${queued}`);
      await untilStatus(again, queued, 'terminated');
    } finally {
      await second?.close();
      await first.destroy();
    }
  });
});

describe('Zoe\'s published example ZApp (sqlite)', () => {
  it.skipIf(!specsAvailable)('runs as published when its image\'s default command is configured: a web server on port 80 in its own network, reached by its endpoint', async () => {
    const t = await startTestServer('sqlite', {
      auth: { anonymous: {} },
      apps: { tickMs: 200 },
      runtime: { allowBindMounts: true, imageCommands: { 'nginx:alpine': 'cd /tmp && echo "served by $SERVICE_NAME" > index.html && exec python3 -m http.server 80' } },
    });
    try {
      const admin = new ZoeClient(t.url, 'admin', TEST_ADMIN_PASSWORD);
      await admin.login();
      const published = JSON.parse(readSpec('zoe-schemas/example-zapp.json')) as Record<string, unknown>;
      const started = await admin.start('example', published);
      expect(started.status, started.reason).toBe(201);
      const running = await untilStatus(admin, started.body.execution_id, 'running');
      expect(running.body.description).toEqual(published);
      const endpoints = (await admin.call('GET', `/execution/endpoints/${started.body.execution_id}`)).body.endpoints as Array<[string, string, null]>;
      expect(endpoints).toHaveLength(1);
      expect(endpoints[0]![0]).toBe('nginx0 Nginx Webserver');
      const page = await eventually(async () => (await fetch(endpoints[0]![1])).text(), 10_000, 'the web server to answer');
      expect(page.trim()).toBe('served by nginx0');
      await admin.call('DELETE', `/execution/${started.body.execution_id}`);
      await untilStatus(admin, started.body.execution_id, 'terminated');
    } finally {
      await t.destroy();
    }
  });
});
