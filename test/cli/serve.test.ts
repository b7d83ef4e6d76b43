import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnServer, type ServerProcess } from '../support/process-server.js';
import { eventually, request } from '../support/server.js';
import { createTestDatabase, type TestDatabase } from '../support/stores.js';
import { LOCK_FILE } from '../../src/cli/serve-checks.js';
import { gantry, killLeftovers, requireBuiltCli } from './run-cli.js';

/** `gantry serve` as a user starts it: the built CLI in its own process. */
describe('gantry serve', () => {
  let workDir: string;
  const servers: ServerProcess[] = [];
  const databases: TestDatabase[] = [];

  beforeAll(() => {
    requireBuiltCli();
    workDir = mkdtempSync(join(tmpdir(), 'gantry-serve-'));
    // Data directories go below this one, and tasks run as another user who must pass through it.
    chmodSync(workDir, 0o755);
  });

  afterEach(async () => {
    killLeftovers();
    for (const server of servers.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await server.exited;
    }
    for (const database of databases.splice(0)) await database.drop();
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function serve(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await spawnServer(args, env);
    servers.push(server);
    return server;
  }

  /**
   * `gantry serve` with a clean environment (no admin password unless `env` has
   * one) and its stderr kept, where the lines for people go; resolves once listening.
   */
  async function serveKeepingStderr(args: string[], env: Record<string, string> = {}): Promise<{ server: ServerProcess; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const server: ServerProcess = { child, url: '', exited };
    servers.push(server);
    server.url = await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`gantry serve exited: ${stderr}`);
      const listening = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; url?: string })
        .find((entry) => entry.msg === 'gantry listening');
      return listening?.url;
    });
    return { server, stderr: () => stderr };
  }

  async function stop(server: ServerProcess): Promise<number | string> {
    server.child.kill('SIGTERM');
    return server.exited;
  }

  const dir = (name: string): string => {
    const made = mkdtempSync(join(workDir, `${name}-`));
    chmodSync(made, 0o755);
    return made;
  };

  it('refuses an invalid setting from any source with exit 2, naming the key and where it was set', async () => {
    const project = dir('invalid');
    writeFileSync(join(project, 'file.txt'), 'not a directory\n');
    const cases: Array<{ args: string[]; env?: Record<string, string>; file?: string; message: string }> = [
      { args: ['--port', 'abc'], message: 'config port (from --port): expected a number, got "abc"' },
      { args: ['--port', '70000'], message: 'config port (from --port): Too big: expected number to be <=65535' },
      { args: [], env: { GANTRY_PORT: '99999' }, message: 'config port (from GANTRY_PORT): Too big: expected number to be <=65535' },
      { args: [], env: { GANTRY_WORKER_ENABLED: 'maybe' }, message: 'config worker.enabled (from GANTRY_WORKER_ENABLED): expected true or false, got "maybe"' },
      { args: ['--host', ''], message: 'config host (from --host): must not be empty' },
      { args: ['--database', 'mysql://db/gantry'], message: 'config database (from --database): expected postgres://…, postgresql://… or sqlite:<file>' },
      { args: [], file: 'host: 127.0.0.1\nworker:\n  maxTask: 2\n', message: 'config worker.maxTask (from gantry.yaml line 3): unknown setting' },
      { args: [], file: 'port: 5001\nlogLevel: loud\n', message: /^config logLevel \(from gantry\.yaml line 2\): Invalid option/.source },
      { args: [], file: 'port: [5001\n', message: /^config file gantry\.yaml line 2: /.source },
      { args: ['--data', join(project, 'file.txt')], message: `config dataDir (from --data): cannot use ${join(project, 'file.txt')} as the data directory: ${join(project, 'file.txt')} is a file` },
      { args: ['--config', 'nope.yaml'], message: 'config file nope.yaml (from --config) does not exist' },
    ];
    for (const { args, env, file, message } of cases) {
      if (file === undefined) rmSync(join(project, 'gantry.yaml'), { force: true });
      else writeFileSync(join(project, 'gantry.yaml'), file);
      const outcome = await gantry(['serve', ...args], { cwd: project, env });
      expect({ args, env, file, code: outcome.code, stdout: outcome.stdout }).toEqual({ args, env, file, code: 2, stdout: '' });
      const line = outcome.stderr.trimEnd();
      if (message.startsWith('^')) expect(line).toMatch(new RegExp(`^gantry: ${message.slice(1)}`));
      else expect(line).toBe(`gantry: ${message}`);
      // Nothing was started on the way: no data directory appeared.
      expect(existsSync(join(project, '.gantry'))).toBe(false);
    }
  });

  it('first start makes admin and says so once on stderr: a generated password with the file that keeps it', async () => {
    const data = dir('first-admin');
    const first = await serveKeepingStderr(['--data', data]);
    const file = join(data, 'admin-password');
    const line = await eventually(async () => first.stderr().split('\n').find((text) => text.startsWith('gantry: created user admin')));
    const password = new RegExp(`^gantry: created user admin with password ([\\w-]{24}) \\(kept in ${file}\\)$`).exec(line)?.[1];
    expect(password).toBeDefined();
    expect(readFileSync(file, 'utf8')).toBe(`${password}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The password shown is the one admin has.
    const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    expect((await request(`${first.server.url}/jobs`, { headers: { authorization: basic } })).status).toBe(200);
    expect((await request(`${first.server.url}/jobs`)).status).toBe(401);
    expect(await stop(first.server)).toBe(0);
    expect(first.stderr()).toBe(`${line}\n`);

    // Started again: admin exists, nothing is said.
    const again = await serveKeepingStderr(['--data', data]);
    expect((await request(`${again.server.url}/jobs`, { headers: { authorization: basic } })).status).toBe(200);
    expect(await stop(again.server)).toBe(0);
    expect(again.stderr()).toBe('');
  });

  it('with GANTRY_ADMIN_PASSWORD, says only that admin was made, never the password', async () => {
    const data = dir('admin-from-env');
    const started = await serveKeepingStderr(['--data', data], { GANTRY_ADMIN_PASSWORD: 'chosen-admin-password' });
    expect(await eventually(async () => started.stderr() || undefined)).toBe('gantry: created user admin with the password from GANTRY_ADMIN_PASSWORD\n');
    expect(existsSync(join(data, 'admin-password'))).toBe(false);
    const basic = `Basic ${Buffer.from('admin:chosen-admin-password').toString('base64')}`;
    expect((await request(`${started.server.url}/jobs`, { headers: { authorization: basic } })).status).toBe(200);
    expect(await stop(started.server)).toBe(0);
    expect(started.stderr()).not.toContain('chosen-admin-password');
  });

  it('a second server on a busy port exits 1 with a clear message, before it opens anything', async () => {
    const first = await serve(['--data', dir('busy')]);
    const port = new URL(first.url).port;
    const other = join(dir('other'), 'data');
    const second = await gantry(['serve', '--port', port, '--data', other, '--host', '127.0.0.1'], { cwd: workDir });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe(
      `gantry: cannot listen on 127.0.0.1:${port} (port from --port): the address is in use, by another Gantry server perhaps; ` +
        'choose another port with --port, GANTRY_PORT or port: in gantry.yaml\n',
    );
    expect(existsSync(join(other, 'gantry.db'))).toBe(false);
    expect(existsSync(join(other, LOCK_FILE))).toBe(false);
    expect(await stop(first)).toBe(0);
  });

  it("a second server on the same data directory exits 1 and leaves the first one's worker alone; a killed server's lock is taken over", async () => {
    const data = dir('shared');
    const first = await serve(['--data', data]);
    const second = await gantry(['serve', '--port', '0', '--data', data], { cwd: workDir });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `gantry: the data directory ${data} (dataDir from --data) is in use by another gantry serve (pid ${first.child.pid}); ` +
        'stop it, or give this server a data directory of its own with --data or GANTRY_DATA\n',
    );
    // Its start-up recovery never ran: the first server's worker is still up.
    const nodes = await request<Array<Record<string, any>>>(`${first.url}/nodes`);
    expect(nodes.body).toEqual([expect.objectContaining({ status: 'UP' })]);

    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(data, LOCK_FILE))).toBe(true);
    const again = await serve(['--data', data]);
    expect((await request(`${again.url}/health`)).status).toBe(200);
    expect(await stop(again)).toBe(0);
    // A clean stop removes the lock.
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });

  it('flags win over GANTRY_* variables, which win over the config file', async () => {
    const project = dir('layers');
    const fromFlag = join(project, 'flag-data');
    const fromEnv = join(project, 'env-data');
    writeFileSync(join(project, 'layers.yaml'), `port: 1\nworker:\n  name: from-file\ndataDir: ${join(project, 'file-data')}\n`);
    const server = await serve(['--data', fromFlag], { GANTRY_CONFIG: join(project, 'layers.yaml'), GANTRY_WORKER_NAME: 'from-env', GANTRY_DATA: fromEnv });
    // --port 0 (from the test's spawn) beat the file's port 1; the name came from the environment.
    const nodes = await request<Array<Record<string, any>>>(`${server.url}/nodes`);
    expect(nodes.body).toEqual([expect.objectContaining({ name: 'from-env', status: 'UP' })]);
    expect(existsSync(join(fromFlag, 'gantry.db'))).toBe(true);
    expect(existsSync(fromEnv)).toBe(false);
    expect(existsSync(join(project, 'file-data'))).toBe(false);
    expect(await stop(server)).toBe(0);
  });

  it('runs on PostgreSQL with --database or GANTRY_DATABASE_URL, and the CLI works against it', async () => {
    const database = await createTestDatabase('postgres');
    databases.push(database);
    const first = await serve(['--data', database.dataDir, '--database', database.database!]);
    const job = join(workDir, 'pg.yaml');
    writeFileSync(job, 'name: on postgres\ntasks:\n  - name: a\n    run: echo stored in postgres\n');
    const run = await gantry(['run', job, '--follow', '--server', first.url], { cwd: workDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('stored in postgres\n');
    const id = /^job ([0-9a-f]{32})$/m.exec(run.stderr)?.[1];
    expect(id).toBeDefined();
    expect(await stop(first)).toBe(0);

    // Another data directory: what the job left can only come from the database.
    const second = await serve(['--data', dir('pg-data')], { GANTRY_DATABASE_URL: database.database! });
    const shown = await gantry(['jobs', 'get', id!, '--json'], { cwd: workDir, env: { GANTRY_SERVER: second.url } });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, name: 'on postgres', state: 'COMPLETED' });
    expect(await stop(second)).toBe(0);
  });

  it('a database that refuses the connection stops the start with exit 1 and the reason, never the password', async () => {
    const database = await createTestDatabase('postgres');
    databases.push(database);
    const wrong = new URL(database.database!);
    wrong.password = 'not-the-password';
    const outcome = await gantry(['serve', '--port', '0', '--data', database.dataDir, '--database', wrong.toString()], { cwd: workDir });
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(/^gantry: .*password authentication failed[^\n]*\n$/);
    expect(outcome.stderr).not.toContain('not-the-password');
  });

  it('a follower whose server goes away exits 3, not as if the job had failed', async () => {
    const server = await serve(['--data', dir('gone')]);
    const job = join(workDir, 'long.yaml');
    writeFileSync(job, 'name: outlives the server\ntasks:\n  - name: a\n    run: echo started; sleep 30\n');
    const follower = gantry(['run', job, '--follow', '--server', server.url], { cwd: workDir });
    await eventually(async () => ((await request<Record<string, any>>(`${server.url}/jobs?size=1`)).body.items[0]?.state === 'RUNNING' ? true : undefined));
    server.child.kill('SIGKILL');
    await server.exited;
    const outcome = await follower;
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toMatch(new RegExp(`gantry: cannot reach the Gantry server at ${server.url}: `));
  });
});
