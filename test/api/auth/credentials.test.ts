/**
 * The credentials themselves: first start, JWTs from a key pair given as
 * ClusterCockpit is configured, API keys and their rate, the keys file, guessed
 * passwords slowed down, the admin address list, and where anonymous access is
 * refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createPrivateKey } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { isGantryError } from '../../../src/core/errors.js';
import { newKeyPair } from '../../../src/services/identity/jwt.js';
import { startServer } from '../../../src/server.js';
import { createTestDatabase } from '../../support/stores.js';
import { request, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../support/server.js';

/** openssl makes the HTTPS test's certificate (.ci/run installs it); without it that test cannot run. */
const opensslPresent = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('notice: openssl not found; the HTTPS test is skipped');
    return false;
  }
})();

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('credentials', () => {
  let t: TestServer | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'gantry-auth-test-'));

  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('makes admin on first start with a random password kept in the data directory, readable by its owner only', async () => {
    t = await startTestServer('sqlite', { auth: { adminPassword: undefined, anonymous: {} } });
    const first = t.server.core.firstAdmin;
    expect(first).toMatchObject({ generated: true, file: join(t.database.dataDir, 'admin-password') });
    expect(statSync(first!.file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first!.file!, 'utf8').trim()).toBe(first!.password);
    expect((await request(`${t.url}/jobs`, { headers: basic('admin', first!.password) })).status).toBe(200);
    expect((await request(`${t.url}/jobs`)).status).toBe(401);
  });

  it('makes admin only once: a restart finds it, with the same password', async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} } });
    expect(t.server.core.firstAdmin).toMatchObject({ password: TEST_ADMIN_PASSWORD, generated: false, file: undefined });
    await t.close();
    const again = await startTestServer('sqlite', { auth: { anonymous: {} } }, { database: t.database });
    t = again;
    expect(again.server.core.firstAdmin).toBeUndefined();
    expect((await request(`${again.url}/jobs`, { headers: basic('admin', TEST_ADMIN_PASSWORD) })).status).toBe(200);
  });

  it('accepts JWTs signed with a key pair given as ClusterCockpit has it, from X-Auth-Token or Bearer, within the max age', async () => {
    const keys = newKeyPair();
    t = await startTestServer('sqlite', { auth: { anonymous: {}, jwt: { publicKey: keys.publicKey, privateKey: keys.privateKey, maxAgeSeconds: 3600 } } });
    // A token as an existing ClusterCockpit installation would have issued it, for a user Gantry has not stored.
    const secret = Buffer.from(keys.privateKey, 'base64');
    const key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: secret.subarray(32).toString('base64url'), d: secret.subarray(0, 32).toString('base64url') },
      format: 'jwk',
    });
    const now = Math.floor(Date.now() / 1000);
    const fresh = await new SignJWT({ roles: ['user'] }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).setSubject('hpc-user').setIssuedAt(now).sign(key);
    const stale = await new SignJWT({ roles: ['user'] }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('hpc-user').setIssuedAt(now - 7200).sign(key);
    expect((await request(`${t.url}/jobs`, { headers: { 'x-auth-token': fresh } })).status).toBe(200);
    expect((await request(`${t.url}/jobs`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(200);
    const old = await request<{ message: string }>(`${t.url}/jobs`, { headers: { 'x-auth-token': stale } });
    expect(old).toMatchObject({ status: 401, body: { message: 'the token has expired' } });
    // Gantry's own tokens carry the same claims.
    const issued = await t.server.core.identity.issueJwt('admin');
    const [, payload] = issued.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({ sub: 'admin', roles: ['admin'], iat: expect.any(Number), exp: expect.any(Number) });
    // A token signed with another key is refused.
    const other = newKeyPair();
    const otherSecret = Buffer.from(other.privateKey, 'base64');
    const otherKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: otherSecret.subarray(32).toString('base64url'), d: otherSecret.subarray(0, 32).toString('base64url') },
      format: 'jwk',
    });
    const forged = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('admin').setIssuedAt(now).sign(otherKey);
    expect((await request(`${t.url}/jobs`, { headers: { 'x-auth-token': forged } })).status).toBe(401);
  });

  it('refuses a public key that is not 32 bytes, naming the setting', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = loadConfig({ env: {}, flags: { host: '127.0.0.1', port: 0, dataDir: database.dataDir, logLevel: 'silent', auth: { jwt: { publicKey: 'c2hvcnQ=' } } } });
      const failure = await startServer(config).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isGantryError(failure) && failure.message).toMatch(/^config auth\.jwt: the public key must be 32 bytes/);
    } finally {
      await database.drop();
    }
  });

  it('limits each API key to its requests per second, answering 429 with Retry-After', async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {}, apiKeyRequestsPerSecond: 20 } });
    const { key } = await t.server.core.identity.createApiKey('admin', 'burst');
    const { key: calm } = await t.server.core.identity.createApiKey('admin', 'calm');
    const statuses = await Promise.all(Array.from({ length: 60 }, () => request(`${t!.url}/nodes`, { headers: { authorization: `Bearer ${key}` } })));
    const limited = statuses.filter((r) => r.status === 429);
    expect(statuses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body).toEqual({ message: 'Rate limit exceeded (20 req/s)' });
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key has its own budget: ten requests under its rate all pass.
    for (let i = 0; i < 10; i++) expect((await request(`${t.url}/nodes`, { headers: { authorization: `Bearer ${calm}` } })).status).toBe(200);
  });

  it('takes the keys of Zeroboot’s keys file as Bearer credentials, and reads the file again when it changes', async () => {
    const file = join(scratch, 'api_keys.json');
    writeFileSync(file, JSON.stringify(['zb_live_from_file_one']));
    t = await startTestServer('sqlite', { auth: { anonymous: {}, apiKeysFile: file } });
    expect((await request(`${t.url}/jobs`, { headers: { authorization: 'Bearer zb_live_from_file_one' } })).status).toBe(200);
    expect((await request(`${t.url}/jobs`, { headers: { authorization: 'Bearer zb_live_from_file_two' } })).status).toBe(401);
    writeFileSync(file, JSON.stringify(['zb_live_from_file_two']));
    // The file is checked at most once a second.
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await request(`${t.url}/jobs`, { headers: { authorization: 'Bearer zb_live_from_file_two' } })).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  });

  it('slows down guessed passwords: after five failures the username is refused for a while, even with the right password', async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {} } });
    await t.server.core.identity.addUser({ username: 'guessed', roles: ['user'], password: 'the-right-password' });
    for (let i = 0; i < 5; i++) {
      const wrong = await request<{ message: string }>(`${t.url}/jobs`, { headers: basic('guessed', `guess-${i}`) });
      expect(wrong).toMatchObject({ status: 401, body: { message: 'wrong username or password' } });
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="gantry"/);
    }
    await request(`${t.url}/jobs`, { headers: basic('guessed', 'guess-5') });
    const blocked = await request<{ message: string }>(`${t.url}/jobs`, { headers: basic('guessed', 'the-right-password') });
    expect(blocked).toMatchObject({ status: 429, body: { message: 'too many failed logins; try again later' } });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('holds admin routes to auth.apiAllowedIps', async () => {
    t = await startTestServer('sqlite', { auth: { anonymous: {}, apiAllowedIps: ['10.1.2.3'] } });
    const admin = basic('admin', TEST_ADMIN_PASSWORD);
    const refused = await request<{ message: string }>(`${t.url}/queues/default`, { method: 'DELETE', headers: admin });
    expect(refused).toMatchObject({ status: 403, body: { message: 'requests from 127.0.0.1 are not allowed here (auth.apiAllowedIps)' } });
    // Other routes are not admin routes: the list does not apply.
    expect((await request(`${t.url}/jobs`, { headers: admin })).status).toBe(200);
    await t.destroy();
    t = await startTestServer('sqlite', { auth: { anonymous: {}, apiAllowedIps: ['127.0.0.1'] } });
    expect((await request(`${t.url}/queues/default`, { method: 'DELETE', headers: basic('admin', TEST_ADMIN_PASSWORD) })).status).toBe(200);
  });

  it('refuses anonymous access when listening beyond loopback without TLS', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const config = loadConfig({ env: {}, flags: { host: '0.0.0.0', port: 0, dataDir: database.dataDir, logLevel: 'silent', auth: { anonymous: { tork: 'admin' } } } });
      const failure = await startServer(config).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isGantryError(failure) && failure.message).toBe(
        'config auth.anonymous: anonymous access (tork as admin) is refused while listening on 0.0.0.0 without TLS; set tls.certFile and tls.keyFile, or listen on loopback',
      );
    } finally {
      await database.drop();
    }
  });

  it.skipIf(!opensslPresent)('serves HTTPS with a configured certificate, and then allows anonymous access beyond loopback', async () => {
    const key = join(scratch, 'key.pem');
    const cert = join(scratch, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const database = await createTestDatabase('sqlite');
    const config = loadConfig({
      env: {},
      flags: { host: '0.0.0.0', port: 0, dataDir: database.dataDir, logLevel: 'silent', auth: { adminPassword: TEST_ADMIN_PASSWORD, anonymous: { tork: 'admin' } }, tls: { certFile: cert, keyFile: key } },
    });
    const server = await startServer(config);
    try {
      expect(server.url).toMatch(/^https:\/\//);
      const port = new URL(server.url).port;
      const agent = new HttpsAgent({ ca: readFileSync(cert), rejectUnauthorized: true, servername: 'localhost' });
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/jobs', agent, servername: 'localhost' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        });
        req.on('error', reject);
        req.end();
      });
      expect(body).toMatch(/^200 \{"items":/);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
