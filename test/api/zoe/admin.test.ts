/**
 * Zoe's users, roles and quotas, as Zoe's client calls them (GET/POST/DELETE
 * /<kind>[/<id>], 201 on create and update, 204 on delete, maps keyed by id),
 * and quotas enforced when an execution starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';
import { STORES } from '../../support/stores.js';
import { ZoeClient } from './zoe-client.js';
import { idle, zapp } from './zapps.js';

describe.each(STORES)('Zoe users, roles and quotas (%s)', (store) => {
  let t: TestServer;
  let admin: ZoeClient;

  beforeAll(async () => {
    t = await startTestServer(store, { auth: { anonymous: {} }, apps: { tickMs: 200 } });
    admin = new ZoeClient(t.url, 'admin', TEST_ADMIN_PASSWORD);
    expect((await admin.login()).status).toBe(200);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('creates, reads, lists, updates and deletes users', async () => {
    const made = await admin.call('POST', '/user', { username: 'dora', email: 'dora@example.org', role_id: 3, quota_id: 1, auth_source: 'internal', fs_uid: 1000, password: 'dora-password' });
    expect(made.status).toBe(201);
    const id = made.body.user_id as string;
    const got = await admin.call('GET', `/user/${id}`);
    expect(got.body.user).toMatchObject({ id, username: 'dora', email: 'dora@example.org', role_id: 3, quota_id: 1, enabled: true, auth_source: 'internal' });
    const listed = await admin.call('GET', '/user?role_id=3');
    expect(listed.body[id]).toMatchObject({ username: 'dora' });
    expect(Object.values(listed.body as Record<string, any>).every((user) => user.role_id === 3)).toBe(true);
    expect(Object.keys((await admin.call('GET', '/user?username=dora')).body)).toEqual([id]);

    // Dora logs in, sees herself, changes her email, and may not change her role.
    const dora = new ZoeClient(t.url, 'dora', 'dora-password');
    expect((await dora.login()).status).toBe(200);
    expect((await dora.call('GET', `/user/${id}`)).body.user.username).toBe('dora');
    expect((await dora.call('POST', `/user/${id}`, { email: 'd@example.org' })).status).toBe(201);
    expect((await dora.call('GET', `/user/${id}`)).body.user.email).toBe('d@example.org');
    const refused = await dora.call('POST', `/user/${id}`, { role_id: 1 });
    expect(refused.status).toBe(403);
    expect((await dora.call('GET', '/user')).status).toBe(403);
    const adminId = (await admin.call('GET', '/user?username=admin')).body;
    expect((await dora.call('GET', `/user/${Object.keys(adminId)[0]}`)).status).toBe(404);

    // The admin makes her an admin, then disables her: her cookie stops working.
    expect((await admin.call('POST', `/user/${id}`, { role_id: 1 })).status).toBe(201);
    expect((await admin.call('GET', `/user/${id}`)).body.user.role_id).toBe(1);
    expect((await admin.call('POST', `/user/${id}`, { enabled: false })).status).toBe(201);
    expect((await dora.call('GET', `/user/${id}`)).status).toBe(401);
    expect((await admin.call('DELETE', `/user/${id}`)).status).toBe(204);
    expect((await admin.call('GET', `/user/${id}`)).status).toBe(404);

    const self = Object.keys(adminId)[0]!;
    const undeletable = await admin.call('DELETE', `/user/${self}`);
    expect(undeletable.status).toBe(400);
    expect(undeletable.reason).toBe('The admin user cannot be deleted, but it can be disabled');
    expect((await admin.call('POST', '/user', { username: 'erin', role_id: 7 })).reason).toBe('Role 7 does not exist');
    expect((await admin.call('POST', '/user', { username: 'erin', quota_id: 99 })).reason).toBe('Quota 99 does not exist');
    expect((await admin.call('POST', '/user', { username: 'erin', colour: 'red' })).status).toBe(400);
  });

  it('has Zoe\'s three roles, makes, changes and deletes roles, and a role\'s permissions count', async () => {
    const roles = await admin.call('GET', '/role');
    expect(Object.values(roles.body as Record<string, any>).map((role) => role.name)).toEqual(['admin', 'superuser', 'user']);
    expect(roles.body['1']).toMatchObject({ id: 1, name: 'admin', can_change_config: true, can_operate_others: true, can_delete_executions: true });
    expect(roles.body['3']).toMatchObject({ id: 3, name: 'user', can_change_config: false, can_operate_others: false, can_delete_executions: true });
    expect((await admin.call('GET', '/role/3')).body).toEqual({ role: roles.body['3'] });
    expect((await admin.call('GET', '/role/99')).status).toBe(404);
    expect((await admin.call('POST', '/role/1', { can_see_status: false })).reason).toBe('Cannot edit the admin role');
    expect((await admin.call('DELETE', '/role/1')).reason).toBe('Cannot delete admin role');

    // A role whose users may see and end others' executions, but not delete them.
    const made = await admin.call('POST', '/role', { name: 'operator', can_operate_others: true });
    expect(made.status).toBe(201);
    const roleId = made.body.role_id as number;
    expect((await admin.call('GET', `/role/${roleId}`)).body.role).toMatchObject({ name: 'operator', can_operate_others: true, can_delete_executions: false, can_change_config: false });
    expect((await admin.call('POST', '/role', { name: 'operator' })).status).toBe(409);
    expect((await admin.call('POST', '/role', { name: 'bad', can_fly: true })).status).toBe(400);

    const opId = (await admin.call('POST', '/user', { username: 'olga', role_id: roleId, password: 'olga-password' })).body.user_id as string;
    const owner = (await admin.call('POST', '/user', { username: 'paul', role_id: 3, password: 'paul-password' })).body.user_id as string;
    expect((await admin.call('GET', `/user/${opId}`)).body.user.role_id).toBe(roleId);
    const olga = new ZoeClient(t.url, 'olga', 'olga-password');
    const paul = new ZoeClient(t.url, 'paul', 'paul-password');
    expect((await olga.login()).body.role).toBe('operator');
    await paul.login();
    const exec = (await paul.start('pauls', zapp('pauls', [idle('idle', { cores: 0.05 })]))).body.execution_id as number;
    expect((await olga.call('GET', `/execution/${exec}`)).status).toBe(200);
    expect(Object.keys((await olga.call('GET', '/execution?user_id=paul')).body)).toEqual([String(exec)]);
    expect((await olga.call('GET', '/user')).status).toBe(403);
    await eventually(async () => ((await paul.call('GET', `/execution/${exec}`)).body.status === 'running' ? true : undefined));
    expect((await olga.call('DELETE', `/execution/${exec}`)).status).toBe(204);
    expect((await olga.call('DELETE', `/execution/delete/${exec}`)).status).toBe(403);

    // Changing the role changes what its users may do at once.
    expect((await admin.call('POST', `/role/${roleId}`, { can_operate_others: false, can_change_config: true })).status).toBe(201);
    expect((await olga.call('GET', `/execution/${exec}`)).status).toBe(404);
    expect((await olga.call('GET', '/user')).status).toBe(200);

    expect((await admin.call('DELETE', `/role/${roleId}`)).status).toBe(400);
    expect((await admin.call('POST', `/user/${opId}`, { role_id: 3 })).status).toBe(201);
    expect((await admin.call('DELETE', `/role/${roleId}`)).status).toBe(204);
    expect((await admin.call('GET', `/user/${opId}`)).body.user.role_id).toBe(3);
    // Zoe's admin role is Gantry's admin role.
    expect((await admin.call('POST', `/user/${owner}`, { role_id: 1 })).status).toBe(201);
    expect((await t.server.core.identity.getUser('paul')).roles).toContain('admin');
    expect((await admin.call('POST', `/user/${owner}`, { role_id: 3 })).status).toBe(201);
    expect((await t.server.core.identity.getUser('paul')).roles).not.toContain('admin');
  });

  it('creates, changes and deletes quotas; the default one stays', async () => {
    const made = await admin.call('POST', '/quota', { name: 'small', concurrent_executions: 1, cores: 2, memory: 1_073_741_824, runtime_limit: 24 });
    expect(made.status).toBe(201);
    const id = made.body.quota_id as number;
    expect((await admin.call('GET', `/quota/${id}`)).body).toEqual({ quota: { id, name: 'small', concurrent_executions: 1, cores: 2, memory: 1_073_741_824, runtime_limit: 24 } });
    const all = await admin.call('GET', '/quota');
    expect(all.body['1']).toEqual({ id: 1, name: 'default', concurrent_executions: 0, cores: 0, memory: 0, runtime_limit: 0 });
    expect(Object.keys((await admin.call('GET', '/quota?name=small')).body)).toEqual([String(id)]);
    expect((await admin.call('POST', `/quota/${id}`, { cores: 4 })).status).toBe(201);
    expect((await admin.call('GET', `/quota/${id}`)).body.quota.cores).toBe(4);
    expect((await admin.call('POST', '/quota', { name: 'small', concurrent_executions: 1, cores: 2, memory: 1, runtime_limit: 0 })).status).toBe(409);
    expect((await admin.call('POST', '/quota', { name: 'partial' })).reason).toMatch(/is required|are required/);
    expect((await admin.call('POST', '/quota', { name: 'neg', concurrent_executions: -1, cores: 0, memory: 0, runtime_limit: 0 })).status).toBe(400);
    expect((await admin.call('DELETE', '/quota/1')).reason).toBe('Cannot delete default quota');
    expect((await admin.call('POST', '/quota/1', { name: 'renamed' })).status).toBe(400);
    expect((await admin.call('DELETE', `/quota/${id}`)).status).toBe(204);
    expect((await admin.call('GET', `/quota/${id}`)).status).toBe(404);
  });

  it('enforces a quota at start: concurrent executions, cores and memory (409), and its runtime limit', async () => {
    const quotaId = (await admin.call('POST', '/quota', { name: 'tight', concurrent_executions: 2, cores: 0.5, memory: 2 * 1024 ** 3, runtime_limit: 1 })).body.quota_id as number;
    const userId = (await admin.call('POST', '/user', { username: 'fred', role_id: 3, quota_id: quotaId, password: 'fred-password' })).body.user_id as string;
    expect((await admin.call('GET', `/user/${userId}`)).body.user.quota_id).toBe(quotaId);
    const fred = new ZoeClient(t.url, 'fred', 'fred-password');
    await fred.login();

    const tooManyCores = await fred.start('cores', zapp('cores', [idle('idle', { cores: 0.3, total: 2, essential: 2 })]));
    expect(tooManyCores.status).toBe(409);
    expect(tooManyCores.reason).toBe('You requested 0.1 cores more than your quota allows, quota exceeded.');
    const tooMuchMemory = await fred.start('memory', zapp('memory', [idle('idle', { cores: 0.1, memory: 3 * 1024 ** 3 })]));
    expect(tooMuchMemory.status).toBe(409);
    expect(tooMuchMemory.reason).toBe(`You requested ${1024 ** 3}B memory more than your quota allows, quota exceeded.`);

    const first = (await fred.start('one', zapp('one', [idle('idle', { cores: 0.1 })]))).body.execution_id as number;
    const second = (await fred.start('two', zapp('two', [idle('idle', { cores: 0.1 })]))).body.execution_id as number;
    const third = await fred.start('three', zapp('three', [idle('idle', { cores: 0.1 })]));
    expect(third.status).toBe(409);
    expect(third.reason).toBe('You cannot run more than 2 executions at a time, quota exceeded.');
    expect(third.body).toEqual({ message: 'You cannot run more than 2 executions at a time, quota exceeded.' });

    // Past the runtime limit (an hour from submission), both are terminated with the reason.
    await eventually(async () => ((await fred.call('GET', `/execution/${first}`)).body.status === 'running' ? true : undefined));
    expect(await t.server.core.apps.enforceRuntimeLimits(Date.now() + 3_600_001)).toBe(2);
    for (const id of [first, second]) {
      const ended = await eventually(async () => {
        const answer = await fred.call('GET', `/execution/${id}`);
        return answer.body.status === 'terminated' ? answer : undefined;
      });
      expect(ended.body.error_message).toMatch(/runtime limit/);
    }
    // Room again: a new one starts.
    expect((await fred.start('four', zapp('four', [idle('idle', { cores: 0.1 })]))).status).toBe(201);
    expect((await admin.call('DELETE', `/quota/${quotaId}`)).status).toBe(400);
  });
});
