import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/cli/serve-checks.js';
import { spawnServer, type ServerProcess } from '../support/process-server.js';
import { TEST_ADMIN_PASSWORD, eventually, startTestServer, type TestServer } from '../support/server.js';
import { STORES, createTestDatabase, type TestDatabase } from '../support/stores.js';
import { expectUsageError, gantry as runGantry, killLeftovers, requireBuiltCli, type CallOptions, type Outcome } from './run-cli.js';

/**
 * `gantry users|token|keys|nodes token` act on an installation's store
 * directly: the built CLI on fresh installations of both stores, alone and
 * beside a server running on the same installation, whose answers prove that
 * what the CLI made (or revoked) is what the server believes.
 */

/** Long enough for a dozen CLI processes and a few 5-second trust windows. */
const TEST_TIMEOUT_MS = 120_000;

let workDir: string;

const gantry = (args: string[], options: Partial<CallOptions> = {}): Promise<Outcome> => runGantry(args, { cwd: workDir, ...options });

/** The flags that name an installation: its data directory and, on PostgreSQL, its database. */
const at = (db: Pick<TestDatabase, 'dataDir' | 'database'>): string[] => ['--data', db.dataDir, ...(db.database === undefined ? [] : ['--database', db.database])];

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** `GET /jobs` with these headers: its status and Tork's `message` when it refused. */
async function listJobs(url: string, headers: Record<string, string>): Promise<{ status: number; message?: string; names: string[] }> {
  const response = await fetch(`${url}/jobs`, { headers });
  const body = (await response.json()) as { message?: string; items?: Array<{ name: string }> };
  return { status: response.status, message: body.message, names: (body.items ?? []).map((job) => job.name) };
}

/**
 * Waits until the server refuses the credential as unknown (401): it trusts one
 * it has checked for up to 5 seconds, so a revoke made in another process lands
 * within that.
 */
async function refusedSoon(url: string, headers: Record<string, string>): Promise<{ status: number; message?: string }> {
  return eventually(
    async () => {
      const { status, message } = await listJobs(url, headers);
      return status === 401 ? { status, message } : undefined;
    },
    15_000,
    'the server to refuse the credential',
  );
}

async function submitAs(url: string, headers: Record<string, string>, name: string): Promise<void> {
  const response = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'text/yaml' },
    body: `name: ${name}\ntasks:\n  - name: a\n    run: echo hi\n`,
  });
  expect(response.status).toBe(200);
  await response.text();
}

/** The claims of a JWT, read without checking it (the server checks it). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(() => {
  requireBuiltCli();
  workDir = mkdtempSync(join(tmpdir(), 'gantry-admin-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.each(STORES)('gantry admin commands on %s', (kind) => {
  const databases: TestDatabase[] = [];
  const servers: TestServer[] = [];
  const processes: ServerProcess[] = [];

  afterEach(async () => {
    killLeftovers();
    for (const server of processes.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
      await server.exited;
    }
    for (const server of servers.splice(0)) await server.destroy();
    for (const database of databases.splice(0)) await database.drop();
  });

  async function freshInstallation(): Promise<TestDatabase> {
    const database = await createTestDatabase(kind);
    databases.push(database);
    return database;
  }

  it(
    'without a server: the first command makes admin; users add, ls, passwd and rm; refusals exit 4, bad input 2',
    async () => {
      const db = await freshInstallation();
      const added = await gantry(['users', 'add', 'alice', '--role', 'user', '--role', 'support', '--name', 'Alice Liddell', '--email', 'alice@example.org', ...at(db)]);
      expect(added.code).toBe(0);
      // Like gantry serve's first start: admin with a random password, shown once and kept 0600.
      const adminFile = join(db.dataDir, 'admin-password');
      const [notice, ...notes] = added.stderr.trimEnd().split('\n');
      const adminPassword = new RegExp(`^gantry: created user admin with password ([\\w-]{24}) \\(kept in ${adminFile}\\)$`).exec(notice!)?.[1];
      expect(adminPassword).toBeDefined();
      expect(readFileSync(adminFile, 'utf8')).toBe(`${adminPassword}\n`);
      expect(statSync(adminFile).mode & 0o777).toBe(0o600);
      expect(notes).toEqual(['created user alice with roles user, support', 'its password, shown only now:']);
      const alicePassword = added.stdout.trimEnd();
      expect(alicePassword).toMatch(/^[A-Za-z0-9]{24}$/);

      // A piped password is read from stdin and shown nowhere.
      const piped = await gantry(['users', 'add', 'bob', '--role', 'api', '--password-stdin', ...at(db)], { input: 'bob-password-1\nignored second line\n' });
      expect(piped).toEqual({ code: 0, stdout: '', stderr: 'created user bob with role api\n' });

      const table = await gantry(['users', 'ls', ...at(db)]);
      expect(table.code).toBe(0);
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['USERNAME', 'ROLES', 'NAME', 'EMAIL', 'CREATED']);
      expect(rows.map((row) => row.split(/\s{2,}/).slice(0, 4))).toEqual([
        ['admin', 'admin', 'Administrator', '-'],
        ['alice', 'user,support', 'Alice Liddell', 'alice@example.org'],
        ['bob', 'api', 'bob', '-'],
      ]);
      expect(rows[1]).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const listed = JSON.parse((await gantry(['users', 'ls', '--json', ...at(db)])).stdout) as Array<Record<string, unknown>>;
      expect(listed.map((user) => user.username)).toEqual(['admin', 'alice', 'bob']);
      expect(listed[1]).toEqual({
        id: expect.any(String),
        username: 'alice',
        name: 'Alice Liddell',
        email: 'alice@example.org',
        roles: ['user', 'support'],
        projects: [],
        hasPassword: true,
        enabled: true,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });

      // Usage: unknown roles are named with the list; a role is required.
      expectUsageError(
        await gantry(['users', 'add', 'carol', '--role', 'boss', ...at(db)]),
        /^gantry: option '--role <role>' argument 'boss' is invalid\. expected one of admin, support, manager, user, api\.$/,
      );
      expectUsageError(await gantry(['users', 'add', 'carol', ...at(db)]), /^gantry: required option '--role <role>' not specified$/);
      expect(await gantry(['users', 'add', 'bad name', '--role', 'user', ...at(db)])).toMatchObject({ code: 2, stdout: '' });
      expect(await gantry(['users', 'passwd', 'bob', '--password-stdin', ...at(db)], { input: 'short\n' })).toEqual({
        code: 2,
        stdout: '',
        stderr: 'gantry: a password needs at least 8 characters\n',
      });
      expect(await gantry(['users', 'passwd', 'bob', '--password-stdin', ...at(db)], { input: '' })).toEqual({
        code: 2,
        stdout: '',
        stderr: 'gantry: no password on stdin (--password-stdin reads one line)\n',
      });
      // Refused: the installation says no.
      expect(await gantry(['users', 'add', 'alice', '--role', 'user', ...at(db)])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user alice already exists\n' });
      expect(await gantry(['users', 'rm', 'nobody', ...at(db)])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user nobody not found\n' });
      expect(await gantry(['users', 'passwd', 'nobody', ...at(db)])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user nobody not found\n' });
      expect(await gantry(['users', 'rm', 'admin', ...at(db)])).toEqual({ code: 4, stdout: '', stderr: 'gantry: the last admin cannot be removed\n' });

      const passwd = await gantry(['users', 'passwd', 'alice', '--json', ...at(db)]);
      expect(passwd.code).toBe(0);
      const newAlicePassword = (JSON.parse(passwd.stdout) as { username: string; password: string }).password;
      expect(newAlicePassword).toMatch(/^[A-Za-z0-9]{24}$/);
      expect(newAlicePassword).not.toBe(alicePassword);
      expect(await gantry(['users', 'rm', 'bob', ...at(db)])).toEqual({ code: 0, stdout: '', stderr: 'removed user bob\n' });

      // A server on the installation afterwards believes all of it.
      const server = await startTestServer(kind, { auth: { anonymous: {} } }, { database: db });
      servers.push(server);
      expect((await listJobs(server.url, basic('admin', adminPassword!))).status).toBe(200);
      expect((await listJobs(server.url, basic('alice', newAlicePassword))).status).toBe(200);
      expect(await listJobs(server.url, basic('alice', alicePassword))).toMatchObject({ status: 401, message: 'wrong username or password' });
      expect(await listJobs(server.url, basic('bob', 'bob-password-1'))).toMatchObject({ status: 401, message: 'wrong username or password' });
      // The server did not make admin again (it exists) and kept its password.
      expect(server.server.core.firstAdmin).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'while a server runs: users, keys and tokens made by the CLI authenticate at once; revokes, password changes and removals land within seconds',
    async () => {
      const server = await startTestServer(kind, { auth: { anonymous: {} } });
      servers.push(server);
      const { url } = server;
      const installation = at(server.database);
      expect(await listJobs(url, basic('carol', 'carol-password-1'))).toMatchObject({ status: 401, message: 'wrong username or password' });

      expect(await gantry(['users', 'add', 'carol', '--role', 'user', '--password-stdin', ...installation], { input: 'carol-password-1\n' })).toEqual({
        code: 0,
        stdout: '',
        stderr: 'created user carol with role user\n',
      });
      expect((await listJobs(url, basic('carol', 'carol-password-1'))).status).toBe(200);

      // An API key, as Bearer; it acts as carol: her job, and only hers, is listed.
      const keyAdded = await gantry(['keys', 'add', 'carol', '--name', 'ci', ...installation]);
      expect(keyAdded.code).toBe(0);
      const key = keyAdded.stdout.trimEnd();
      expect(key).toMatch(/^zb_live_[\w-]{43}$/);
      const keyId = /^created API key (\S+) for carol; the key, shown only now:$/.exec(keyAdded.stderr.trimEnd())?.[1];
      expect(keyId).toBeDefined();
      await submitAs(url, bearer(key), 'carol via key');
      await submitAs(url, basic('admin', TEST_ADMIN_PASSWORD), 'admin job');
      expect(await listJobs(url, bearer(key))).toEqual({ status: 200, message: undefined, names: ['carol via key'] });

      // Listed with its prefix and last use, never the key.
      const keysTable = await gantry(['keys', 'ls', ...installation]);
      expect(keysTable.code).toBe(0);
      expect(keysTable.stdout).not.toContain(key);
      const [keysHeader, ...keyRows] = keysTable.stdout.trimEnd().split('\n');
      expect(keysHeader!.split(/\s{2,}/)).toEqual(['ID', 'PREFIX', 'USER', 'NAME', 'CREATED', 'LAST USED', 'REVOKED']);
      expect(keyRows).toHaveLength(1);
      expect(keyRows[0]!.split(/\s{2,}/).slice(0, 4)).toEqual([keyId, `${key.slice(0, 14)}…`, 'carol', 'ci']);
      const keysJson = await gantry(['keys', 'ls', 'carol', '--json', ...installation]);
      expect(keysJson.stdout).not.toContain(key);
      expect(JSON.parse(keysJson.stdout)).toEqual([
        { id: keyId, prefix: key.slice(0, 14), user: 'carol', name: 'ci', createdAt: expect.any(String), lastUsedAt: expect.any(String), revokedAt: null },
      ]);
      expect(JSON.parse((await gantry(['keys', 'ls', 'admin', '--json', ...installation])).stdout)).toEqual([]);
      expect(await gantry(['keys', 'ls', 'nobody', ...installation])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user nobody not found\n' });
      expect(await gantry(['keys', 'add', 'nobody', ...installation])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user nobody not found\n' });

      // A JWT, as X-Auth-Token and as Bearer; it names carol.
      const jwt = await gantry(['token', 'carol', ...installation]);
      expect(jwt.code).toBe(0);
      const token = jwt.stdout.trimEnd();
      expect(claimsOf(token)).toEqual({ sub: 'carol', roles: ['user'], iat: expect.any(Number) });
      expect(jwt.stderr).toBe('JWT for carol; it does not expire\n');
      expect(await listJobs(url, { 'x-auth-token': token })).toEqual({ status: 200, message: undefined, names: ['carol via key'] });
      expect(await listJobs(url, bearer(token))).toEqual({ status: 200, message: undefined, names: ['carol via key'] });
      const hour = await gantry(['token', 'carol', '--ttl', '1h30m', '--json', ...installation]);
      expect(hour.code).toBe(0);
      const timed = JSON.parse(hour.stdout) as { username: string; token: string; expiresAt: string };
      const claims = claimsOf(timed.token) as { iat: number; exp: number };
      expect(claims.exp - claims.iat).toBe(5_400);
      expect(Date.parse(timed.expiresAt)).toBe(claims.exp * 1_000);
      expect((await listJobs(url, bearer(timed.token))).status).toBe(200);
      expectUsageError(await gantry(['token', 'carol', '--ttl', '-1h', ...installation]), /^gantry: option '--ttl <duration>' argument '-1h' is invalid\. a lifetime cannot be negative\.$/);
      expectUsageError(await gantry(['token', 'carol', '--ttl', 'soon', ...installation]), /^gantry: option '--ttl <duration>' argument 'soon' is invalid\. invalid duration "soon"/);
      expect(await gantry(['token', 'nobody', ...installation])).toEqual({ code: 4, stdout: '', stderr: 'gantry: user nobody not found\n' });

      // Revoked: the server stops taking the key within its trust window.
      expect(await gantry(['keys', 'rm', keyId!, ...installation])).toEqual({ code: 0, stdout: '', stderr: `revoked API key ${keyId}\n` });
      expect(await refusedSoon(url, bearer(key))).toEqual({ status: 401, message: 'Invalid API key' });
      expect(JSON.parse((await gantry(['keys', 'ls', '--json', ...installation])).stdout)[0].revokedAt).toEqual(expect.any(String));
      expect(await gantry(['keys', 'rm', keyId!, ...installation])).toEqual({ code: 4, stdout: '', stderr: `gantry: no API key ${keyId} that is not revoked\n` });

      // A new password: the old one stops working, the new one works.
      const other = await gantry(['keys', 'add', 'carol', '--json', ...installation]);
      const secondKey = (JSON.parse(other.stdout) as { key: string }).key;
      expect(await gantry(['users', 'passwd', 'carol', '--password-stdin', ...installation], { input: 'carol-password-2\n' })).toMatchObject({ code: 0, stdout: '' });
      expect(await refusedSoon(url, basic('carol', 'carol-password-1'))).toEqual({ status: 401, message: 'wrong username or password' });
      expect((await listJobs(url, basic('carol', 'carol-password-2'))).status).toBe(200);
      // Keys are credentials of their own: a password change leaves them alone.
      expect((await listJobs(url, bearer(secondKey))).status).toBe(200);

      // Removed: her password and keys stop working.
      expect(await gantry(['users', 'rm', 'carol', ...installation])).toEqual({ code: 0, stdout: '', stderr: 'removed user carol\n' });
      expect(await refusedSoon(url, basic('carol', 'carol-password-2'))).toEqual({ status: 401, message: 'wrong username or password' });
      expect(await refusedSoon(url, bearer(secondKey))).toEqual({ status: 401, message: 'Invalid API key' });
      const remaining = JSON.parse((await gantry(['users', 'ls', '--json', ...installation])).stdout) as Array<{ username: string }>;
      expect(remaining.map((user) => user.username)).toEqual(['admin']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'beside a running gantry serve, which holds the serve lock: the CLI works, worker tokens reach the server, and gantry nodes still lists nodes',
    async () => {
      const db = await freshInstallation();
      const server = await spawnServer(at(db), { GANTRY_ANONYMOUS_TORK: '' });
      processes.push(server);
      expect(readFileSync(join(db.dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(server.child.pid));

      expect(await gantry(['users', 'add', 'dave', '--role', 'user', '--password-stdin', ...at(db)], { input: 'dave-password-1\n' })).toMatchObject({ code: 0 });
      expect((await listJobs(server.url, basic('dave', 'dave-password-1'))).status).toBe(200);

      // A worker token is known to the server: it is refused on a user's route for what it is, not as unknown.
      const made = await gantry(['nodes', 'token', '--name', 'gpu-1', ...at(db)]);
      expect(made.code).toBe(0);
      const workerToken = made.stdout.trimEnd();
      expect(workerToken).toMatch(/^gw_[\w-]{43}$/);
      const tokenId = /^created worker token (\S+) \(gpu-1\); the token, shown only now:$/.exec(made.stderr.trimEnd())?.[1];
      expect(tokenId).toBeDefined();
      expect(await listJobs(server.url, bearer(workerToken))).toMatchObject({ status: 403, message: 'a worker token only serves the worker routes' });
      const listed = await gantry(['nodes', 'token', '--list', ...at(db)]);
      expect(listed.stdout).not.toContain(workerToken);
      const [header, row, ...more] = listed.stdout.trimEnd().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'CREATED', 'REVOKED']);
      expect(row!.split(/\s{2,}/)).toEqual([tokenId, 'gpu-1', expect.stringMatching(/^\d{4}-/), '-']);
      expect(more).toEqual([]);
      expect(await gantry(['nodes', 'token', '--revoke', tokenId!, '--json', ...at(db)])).toEqual({ code: 0, stdout: `{"id":"${tokenId}","revoked":true}\n`, stderr: '' });
      expect(await refusedSoon(server.url, bearer(workerToken))).toEqual({ status: 401, message: 'unknown or revoked worker token' });
      expect(JSON.parse((await gantry(['nodes', 'token', '--list', '--json', ...at(db)])).stdout)).toEqual([
        { id: tokenId, name: 'gpu-1', createdAt: expect.any(String), revokedAt: expect.any(String) },
      ]);
      expect(await gantry(['nodes', 'token', '--revoke', tokenId!, ...at(db)])).toMatchObject({ code: 4, stderr: `gantry: no worker token ${tokenId} that is not revoked\n` });
      expectUsageError(await gantry(['nodes', 'token', '--list', '--revoke', tokenId!, ...at(db)]), /^gantry: choose one of --name, --list and --revoke$/);

      // The client command `gantry nodes` with its flags, beside its new subcommand.
      const nodes = await gantry(['nodes', '--json', '--server', server.url, '--user', 'dave'], { env: { GANTRY_PASSWORD: 'dave-password-1' } });
      expect(nodes.code).toBe(0);
      expect(JSON.parse(nodes.stdout)).toEqual([expect.objectContaining({ name: 'local', status: 'UP' })]);
      const daveToken = (await gantry(['token', 'dave', ...at(db)])).stdout.trimEnd();
      const table = await gantry(['nodes', '--server', server.url, '--token', daveToken]);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'HOSTNAME', 'STATUS', 'CPU%', 'TASKS', 'LAST HEARTBEAT']);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('finding the installation', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(workDir, 'find-'));
    chmodSync(dir, 0o755);
  });

  it('as gantry serve does: --data, GANTRY_DATA, dataDir of gantry.yaml or --config, and the database from GANTRY_DATABASE_URL', async () => {
    const fromFile = join(dir, 'file-data');
    writeFileSync(join(dir, 'gantry.yaml'), `dataDir: ${fromFile}\n`);
    expect(await gantry(['users', 'add', 'in-file', '--role', 'user', '--password-stdin'], { cwd: dir, input: 'password-in-file\n' })).toMatchObject({ code: 0 });
    const fromEnv = join(dir, 'env-data');
    expect(await gantry(['users', 'add', 'in-env', '--role', 'user', '--password-stdin'], { cwd: dir, input: 'password-in-env\n', env: { GANTRY_DATA: fromEnv } })).toMatchObject({
      code: 0,
    });
    const names = async (args: string[], options: Partial<CallOptions> = {}): Promise<string[]> =>
      (JSON.parse((await gantry(['users', 'ls', '--json', ...args], options)).stdout) as Array<{ username: string }>).map((user) => user.username);
    expect(await names([], { cwd: dir })).toEqual(['admin', 'in-file']);
    expect(await names(['--data', fromEnv])).toEqual(['admin', 'in-env']);
    writeFileSync(join(dir, 'other.yaml'), `dataDir: ${fromEnv}\n`);
    expect(await names(['--config', join(dir, 'other.yaml')])).toEqual(['admin', 'in-env']);
    // The first admin's password was generated once per installation and kept in each.
    expect(readFileSync(join(fromFile, 'admin-password'), 'utf8')).not.toBe(readFileSync(join(fromEnv, 'admin-password'), 'utf8'));

    const database = await createTestDatabase('postgres');
    try {
      const pgData = join(dir, 'pg-data');
      const env = { GANTRY_DATABASE_URL: database.database!, GANTRY_ADMIN_PASSWORD: 'chosen-admin-password' };
      const added = await gantry(['users', 'add', 'in-pg', '--role', 'manager', '--password-stdin', '--data', pgData], { env, input: 'password-in-pg\n' });
      // A configured admin password is never repeated; only where it came from.
      expect(added).toEqual({
        code: 0,
        stdout: '',
        stderr: 'gantry: created user admin with the password from GANTRY_ADMIN_PASSWORD\ncreated user in-pg with role manager\n',
      });
      expect(await names(['--database', database.database!, '--data', pgData])).toEqual(['admin', 'in-pg']);
      // The users are in the database, not in the data directory.
      expect(await names(['--data', join(dir, 'pg-other')], { env })).toEqual(['admin', 'in-pg']);
    } finally {
      await database.drop();
    }

    expect(await gantry(['users', 'ls', '--config', 'nope.yaml'])).toEqual({ code: 2, stdout: '', stderr: 'gantry: config file nope.yaml (from --config) does not exist\n' });
    writeFileSync(join(dir, 'a-file'), 'x\n');
    expect(await gantry(['users', 'ls', '--data', join(dir, 'a-file')])).toEqual({
      code: 2,
      stdout: '',
      stderr: `gantry: config dataDir (from --data): cannot use ${join(dir, 'a-file')} as the data directory: ${join(dir, 'a-file')} is a file\n`,
    });
  }, TEST_TIMEOUT_MS);
});
