import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/services/identity/secrets.js';
import { STORES } from '../../support/stores.js';
import { request, startTestServer, yamlHeaders, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';

/** Zoe's client reads the reason phrase; the seed page documents the JSON body. Both are checked. */
interface ZoeAnswer {
  status: number;
  reason: string;
  headers: Headers;
  body: any;
}

async function zoe(t: TestServer, path: string, init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<ZoeAnswer> {
  const response = await fetch(`${t.url}/api/0.7${path}`, { method: init.method ?? 'GET', body: init.body, headers: init.headers });
  const text = await response.text();
  return { status: response.status, reason: response.statusText, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const basic = (username: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
});
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

const ALICE = 'alice-password';
const BOB = 'bob-password';
const WRONG = 'Unauthorized access: 401: missing or wrong authentication information';

async function tokensFor(t: TestServer, username: string, password: string): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic(username, password), ...json }, body: '{"grant_type": "password"}' });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Jobs the credential sees on Tork's GET /jobs, by name. */
async function torkJobNames(t: TestServer, headers: Record<string, string>): Promise<string[]> {
  const page = await request<{ items: Array<{ name: string }> }>(`${t.url}/jobs?size=20`, { headers });
  expect(page.status).toBe(200);
  return page.body.items.map((job) => job.name).sort();
}

function expectZoeError(answer: ZoeAnswer, status: number, message: string, reason = message): void {
  expect({ status: answer.status, reason: answer.reason, body: answer.body }).toEqual({ status, reason, body: { message } });
}

describe.each(STORES)('Zoe identity routes on %s', (kind) => {
  let t: TestServer;
  let aliceJob: string;
  beforeAll(async () => {
    // No anonymous Tork access: every request here brings its own credential.
    t = await startTestServer(kind, { auth: { anonymous: {} } });
    const identity = t.server.core.identity;
    await identity.addUser({ username: 'alice', roles: ['user'], password: ALICE, email: 'alice@example.org' });
    await identity.addUser({ username: 'bob', roles: ['user'], password: BOB });
    const submit = async (headers: Record<string, string>, name: string): Promise<string> => {
      const job = await request<{ id: string }>(`${t.url}/jobs`, { method: 'POST', headers: { ...headers, ...yamlHeaders }, body: `name: ${name}\ntasks:\n  - name: a\n    run: "true"\n` });
      expect(job.status).toBe(200);
      return job.body.id;
    };
    aliceJob = await submit(basic('alice', ALICE), 'alice job');
    await submit(basic('bob', BOB), 'bob job');
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('declares a policy for each route: the token endpoint public (it checks its grant itself), the others for users', () => {
    const zoeRoutes = t.server.routes.filter((route) => route.auth.dialect === 'zoe').map((route) => [route.method, route.url, route.auth.access.kind]);
    expect(zoeRoutes).toEqual(
      expect.arrayContaining([
        ['POST', '/api/0.7/oauth/token', 'public'],
        ['DELETE', '/api/0.7/oauth/revoke/:token', 'principal'],
        ['GET', '/api/0.7/login', 'principal'],
      ]),
    );
  });

  it('issues an access and a refresh token for HTTP Basic, in the shape of the page, not to be cached', async () => {
    const answer = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('alice', ALICE), ...json }, body: '{"grant_type": "password"}' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 36_000 });
    expect(answer.body.access_token).not.toBe(answer.body.refresh_token);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('pragma')).toBe('no-cache');
  });

  it('takes the access token as Bearer on Tork routes, scoped to its owner', async () => {
    const alice = await tokensFor(t, 'alice', ALICE);
    const bob = await tokensFor(t, 'bob', BOB);
    expect(await torkJobNames(t, bearer(alice.access_token))).toEqual(['alice job']);
    expect(await torkJobNames(t, bearer(bob.access_token))).toEqual(['bob job']);
    expect((await request(`${t.url}/jobs/${aliceJob}`, { headers: bearer(alice.access_token) })).status).toBe(200);
    expect((await request(`${t.url}/jobs/${aliceJob}`, { headers: bearer(bob.access_token) })).status).toBe(404);
    // The admin's token sees everyone's.
    const admin = await tokensFor(t, 'admin', TEST_ADMIN_PASSWORD);
    expect(await torkJobNames(t, bearer(admin.access_token))).toEqual(['alice job', 'bob job']);
    // A refresh token is not an access token.
    expect((await request(`${t.url}/jobs`, { headers: bearer(alice.refresh_token) })).status).toBe(401);
  });

  it('refreshes an access token with the refresh token as Bearer', async () => {
    const first = await tokensFor(t, 'alice', ALICE);
    const answer = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...bearer(first.refresh_token), ...json }, body: '{"grant_type": "refresh_token"}' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: 36_000 });
    expect(answer.body.access_token).not.toBe(first.access_token);
    expect(await torkJobNames(t, bearer(answer.body.access_token))).toEqual(['alice job']);
    // An access token cannot refresh.
    const wrongKind = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...bearer(first.access_token), ...json }, body: '{"grant_type": "refresh_token"}' });
    expectZoeError(wrongKind, 401, 'unknown refresh token', 'Unauthorized access: 401: unknown refresh token');
    // Nor can a password.
    const withBasic = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('alice', ALICE), ...json }, body: '{"grant_type": "refresh_token"}' });
    expect(withBasic.status).toBe(401);
    expect(withBasic.body.message).toMatch(/Bearer <refresh token>/);
    // Without any credential: the page's words.
    const bare = await zoe(t, '/oauth/token', { method: 'POST', headers: json, body: '{"grant_type": "refresh_token"}' });
    expectZoeError(bare, 401, 'missing or wrong authentication information', WRONG);
  });

  it('refuses an expired access token and an expired refresh token', async () => {
    const tokens = await tokensFor(t, 'alice', ALICE);
    const past = Date.now() - 1_000;
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      await t.server.core.store.db.updateTable('access_tokens').set({ expires_at: past }).where('digest', '=', digestOf(token)).execute();
    }
    expect((await request(`${t.url}/jobs`, { headers: bearer(tokens.access_token) })).status).toBe(401);
    const onZoe = await zoe(t, '/oauth/revoke/whatever', { method: 'DELETE', headers: bearer(tokens.access_token) });
    expectZoeError(onZoe, 401, 'the token has expired', 'Unauthorized access: 401: the token has expired');
    const refresh = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...bearer(tokens.refresh_token), ...json }, body: '{"grant_type": "refresh_token"}' });
    expectZoeError(refresh, 401, 'the token has expired', 'Unauthorized access: 401: the token has expired');
  });

  it('revokes an access token and a refresh token; a revoked one no longer works', async () => {
    const tokens = await tokensFor(t, 'alice', ALICE);
    expect(await torkJobNames(t, bearer(tokens.access_token))).toEqual(['alice job']);
    const revoked = await zoe(t, `/oauth/revoke/${tokens.access_token}`, { method: 'DELETE', headers: basic('alice', ALICE) });
    expect({ status: revoked.status, body: revoked.body }).toEqual({ status: 200, body: { ret: 'Revoked token.' } });
    const after = await request(`${t.url}/jobs`, { headers: bearer(tokens.access_token) });
    expect(after).toMatchObject({ status: 401, body: { message: 'the token was revoked' } });
    const again = await zoe(t, `/oauth/revoke/${tokens.access_token}`, { method: 'DELETE', headers: basic('alice', ALICE) });
    expectZoeError(again, 400, 'the token is already revoked');

    // The refresh token, revoked with a token of the same user.
    const other = await tokensFor(t, 'alice', ALICE);
    expect((await zoe(t, `/oauth/revoke/${tokens.refresh_token}`, { method: 'DELETE', headers: bearer(other.access_token) })).status).toBe(200);
    const refresh = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...bearer(tokens.refresh_token), ...json }, body: '{"grant_type": "refresh_token"}' });
    expectZoeError(refresh, 401, 'the token was revoked', 'Unauthorized access: 401: the token was revoked');

    const unknown = await zoe(t, '/oauth/revoke/no-such-token', { method: 'DELETE', headers: basic('alice', ALICE) });
    expectZoeError(unknown, 404, 'no such token');
    const anonymous = await zoe(t, `/oauth/revoke/${other.access_token}`, { method: 'DELETE' });
    expectZoeError(anonymous, 401, 'missing or wrong authentication information', WRONG);
  });

  it("refuses to revoke another user's token as if it did not exist; an admin may", async () => {
    const alice = await tokensFor(t, 'alice', ALICE);
    const byBob = await zoe(t, `/oauth/revoke/${alice.access_token}`, { method: 'DELETE', headers: basic('bob', BOB) });
    expectZoeError(byBob, 404, 'no such token');
    expect(await torkJobNames(t, bearer(alice.access_token))).toEqual(['alice job']);
    const byAdmin = await zoe(t, `/oauth/revoke/${alice.access_token}`, { method: 'DELETE', headers: basic('admin', TEST_ADMIN_PASSWORD) });
    expect({ status: byAdmin.status, body: byAdmin.body }).toEqual({ status: 200, body: { ret: 'Revoked token.' } });
    expect((await request(`${t.url}/jobs`, { headers: bearer(alice.access_token) })).status).toBe(401);
  });

  it('answers a wrong password with 401, the message in the reason phrase and in a JSON body', async () => {
    for (const path of ['/login', '/oauth/token']) {
      const answer = await zoe(t, path, {
        method: path === '/login' ? 'GET' : 'POST',
        headers: { ...basic('alice', 'not-her-password'), ...json },
        ...(path === '/login' ? {} : { body: '{"grant_type": "password"}' }),
      });
      expectZoeError(answer, 401, 'missing or wrong authentication information', WRONG);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
    expectZoeError(await zoe(t, '/login'), 401, 'missing or wrong authentication information', WRONG);
    // A Basic header that is not base64 of user:password.
    const malformed = await zoe(t, '/login', { headers: { authorization: 'Basic bm9jb2xvbg==' } });
    expectZoeError(malformed, 401, 'Basic credentials must be base64 of username:password', 'Unauthorized access: 401: Basic credentials must be base64 of username:password');
  });

  it('logs in with Basic: the page\'s role and uid, Zoe\'s user, and an HttpOnly SameSite cookie', async () => {
    const answer = await zoe(t, '/login', { headers: basic('alice', ALICE) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      role: 'user',
      uid: 'alice',
      user: {
        id: (await t.server.core.identity.getUser('alice')).id,
        username: 'alice',
        fs_uid: null,
        email: 'alice@example.org',
        priority: 0,
        enabled: true,
        auth_source: 'internal',
        quota_id: 1,
        role_id: 3,
      },
    });
    const cookies = answer.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const attributes = cookies[0]!.split(';').map((part) => part.trim());
    expect(attributes[0]).toMatch(/^zoe=\S+$/);
    expect(attributes.slice(1)).toEqual(expect.arrayContaining(['Max-Age=604800', 'Path=/', 'HttpOnly', 'SameSite=Lax']));
    expect(attributes.some((part) => /^Expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT$/.test(part))).toBe(true);
    expect(attributes).not.toContain('Secure');

    const admin = await zoe(t, '/login', { headers: basic('admin', TEST_ADMIN_PASSWORD) });
    expect(admin.body).toMatchObject({ role: 'admin', uid: 'admin', user: { username: 'admin', role_id: 1, email: null } });
  });

  it('accepts the login cookie sent back as Zoe\'s client does, the whole Set-Cookie string as the Cookie header', async () => {
    const login = await zoe(t, '/login', { headers: basic('alice', ALICE) });
    const setCookie = login.headers.get('set-cookie')!;
    const asZoeClient = { cookie: setCookie };
    // On a Tork route, scoped to alice.
    expect(await torkJobNames(t, asZoeClient)).toEqual(['alice job']);
    // On a Zoe route.
    const tokens = await tokensFor(t, 'alice', ALICE);
    const revoked = await zoe(t, `/oauth/revoke/${tokens.access_token}`, { method: 'DELETE', headers: asZoeClient });
    expect({ status: revoked.status, body: revoked.body }).toEqual({ status: 200, body: { ret: 'Revoked token.' } });
    // Just the name=value pair works too (a browser, curl -b).
    expect(await torkJobNames(t, { cookie: setCookie.split(';')[0]! })).toEqual(['alice job']);
    // Logging in again with the cookie answers the same cookie: it is not renewed without the password.
    const again = await zoe(t, '/login', { headers: asZoeClient });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ role: 'user', uid: 'alice' });
    expect(again.headers.get('set-cookie')!.split(';')[0]).toBe(setCookie.split(';')[0]);
    // A cookie not signed by this installation.
    const forged = setCookie.replace(/^zoe=alice/, 'zoe=admin');
    expect(forged).not.toBe(setCookie);
    expectZoeError(await zoe(t, '/login', { headers: { cookie: forged } }), 401, 'the login cookie is not valid', 'Unauthorized access: 401: the login cookie is not valid');
    expect((await request(`${t.url}/jobs`, { headers: { cookie: forged } })).status).toBe(401);
  });

  it('refuses the login cookie and the tokens once the user changes password', async () => {
    const identity = t.server.core.identity;
    await identity.addUser({ username: 'carol', roles: ['user'], password: 'carol-password' });
    const login = await zoe(t, '/login', { headers: basic('carol', 'carol-password') });
    const cookie = { cookie: login.headers.get('set-cookie')! };
    const tokens = await tokensFor(t, 'carol', 'carol-password');
    expect(await torkJobNames(t, cookie)).toEqual([]);
    expect((await zoe(t, '/login', { headers: cookie })).status).toBe(200);
    await identity.setPassword('carol', 'carol-new-password');
    expect((await request(`${t.url}/jobs`, { headers: cookie })).status).toBe(401);
    expectZoeError(await zoe(t, '/login', { headers: cookie }), 401, 'the login cookie is no longer valid', 'Unauthorized access: 401: the login cookie is no longer valid');
    expect((await request(`${t.url}/jobs`, { headers: bearer(tokens.access_token) })).status).toBe(401);
    const refresh = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...bearer(tokens.refresh_token), ...json }, body: '{"grant_type": "refresh_token"}' });
    expectZoeError(refresh, 401, 'the token is no longer valid', 'Unauthorized access: 401: the token is no longer valid');
    // The new password logs in again.
    expect((await zoe(t, '/login', { headers: basic('carol', 'carol-new-password') })).status).toBe(200);
  });

  it('logs in only with a password: a token is refused on /login, a worker token forbidden', async () => {
    const tokens = await tokensFor(t, 'alice', ALICE);
    const answer = await zoe(t, '/login', { headers: bearer(tokens.access_token) });
    expectZoeError(answer, 401, 'log in with a username and password (HTTP Basic)', 'Unauthorized access: 401: log in with a username and password (HTTP Basic)');
    expect(answer.headers.get('set-cookie')).toBeNull();
    // A credential that is good but may not be used here: 403, the message alone as the reason.
    const { token } = await t.server.core.identity.createWorkerToken('zoe-test');
    expectZoeError(await zoe(t, '/login', { headers: bearer(token) }), 403, 'a worker token only serves the worker routes');
  });

  it.each([
    ['an unknown grant_type', '{"grant_type": "client_credentials"}', 'unsupported grant_type "client_credentials": use "password" or "refresh_token"'],
    ['no grant_type', '{}', 'grant_type is required: "password" or "refresh_token"'],
    ['no body', '', 'grant_type is required: "password" or "refresh_token"'],
    ['a grant_type that is not a string', '{"grant_type": 1}', 'grant_type must be a string'],
    ['a body that is not JSON', '{"grant_type": ', 'Error decoding JSON data'],
    ['a JSON array', '["password"]', 'the request body must be a JSON object'],
  ])('answers %s with 400 and the reason', async (_what, body, message) => {
    const answer = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('alice', ALICE), ...json }, body });
    expectZoeError(answer, 400, message);
  });

  it('keeps a reason phrase to printable ASCII, the body has the whole message', async () => {
    const answer = await zoe(t, '/oauth/token', { method: 'POST', headers: json, body: '{"grant_type": "pässwörd\\r\\nX-Injected: 1"}' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ message: 'unsupported grant_type "pässwörd\\r\\nX-Injected: 1": use "password" or "refresh_token"' });
    expect(answer.reason).toBe('unsupported grant_type "p?ssw?rd\\r\\nX-Injected: 1": use "password" or "refresh_token"');
    expect(answer.headers.get('x-injected')).toBeNull();
    const notUtf8 = await zoe(t, '/oauth/token', { method: 'POST', headers: form, body: new Uint8Array([0x67, 0xff, 0xfe]) });
    expectZoeError(notUtf8, 400, 'the request body is not valid UTF-8');
  });

  it('takes form-encoded token requests, as OAuth2 clients send them', async () => {
    const withBasic = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('alice', ALICE), ...form }, body: 'grant_type=password' });
    expect(withBasic.status).toBe(200);
    expect(Object.keys(withBasic.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    // RFC 6749's password grant: the username and password in the form.
    const inForm = await zoe(t, '/oauth/token', { method: 'POST', headers: form, body: 'grant_type=password&username=alice&password=alice-password' });
    expect(inForm.status).toBe(200);
    expect(await torkJobNames(t, bearer(inForm.body.access_token))).toEqual(['alice job']);
    // RFC 6749's refresh: the refresh token in the form.
    const refresh = await zoe(t, '/oauth/token', { method: 'POST', headers: form, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(inForm.body.refresh_token)}` });
    expect(refresh.status).toBe(200);
    expect(refresh.body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: 36_000 });
    // curl -d '{"grant_type": ...}' without -H labels the JSON as a form.
    const curlDefault = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('alice', ALICE), ...form }, body: '{"grant_type": "password"}' });
    expect(curlDefault.status).toBe(200);
    const twice = await zoe(t, '/oauth/token', { method: 'POST', headers: form, body: 'grant_type=password&grant_type=refresh_token' });
    expectZoeError(twice, 400, 'grant_type is given more than once');
    const noPassword = await zoe(t, '/oauth/token', { method: 'POST', headers: form, body: 'grant_type=password&username=alice' });
    expectZoeError(noPassword, 401, 'missing or wrong authentication information', WRONG);
  });
});

describe.each(STORES)('Zoe login throttling on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { auth: { anonymous: {} } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('answers 429 with Retry-After once a password is being guessed', async () => {
    let answer: ZoeAnswer | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      answer = await zoe(t, '/oauth/token', { method: 'POST', headers: { ...basic('admin', `guess-${attempt}`), ...json }, body: '{"grant_type": "password"}' });
      if (answer.status !== 401) break;
      expect(answer.reason).toBe(WRONG);
    }
    expectZoeError(answer!, 429, 'too many failed logins; try again later');
    expect(Number(answer!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
