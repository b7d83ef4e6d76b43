import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { gantry as runGantry, killLeftovers, requireBuiltCli, type CallOptions, type Outcome } from './run-cli.js';

/**
 * Client commands send a credential: `--token`/GANTRY_TOKEN as Bearer,
 * `--user`/GANTRY_USER with GANTRY_PASSWORD as Basic, else the local admin's
 * kept password. Against a server that takes no request without one (no
 * anonymous Tork user), so each case shows what the server made of it.
 */
describe('client commands send credentials', () => {
  let server: TestServer;
  let url: string;
  let workDir: string;
  let adminPassword: string;
  let apiKey: string;
  let jwt: string;

  /** In an empty directory (no gantry.yaml, no .gantry) with a clean environment. */
  const gantry = (args: string[], options: Partial<CallOptions> = {}): Promise<Outcome> => runGantry(args, { cwd: workDir, ...options });

  /** `gantry jobs ls --json`: exit 0 and the names of the jobs the server showed, or the failure. */
  async function listedNames(args: string[], options: Partial<CallOptions> = {}): Promise<string[]> {
    const outcome = await gantry(['jobs', 'ls', '--json', '--server', url, ...args], options);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    return (JSON.parse(outcome.stdout) as { items: Array<{ name: string }> }).items.map((job) => job.name).sort();
  }

  beforeAll(async () => {
    requireBuiltCli();
    workDir = mkdtempSync(join(tmpdir(), 'gantry-credentials-'));
    // No anonymous access, and no admin password configured: admin gets a generated one, kept in the data directory.
    server = await startTestServer('sqlite', { auth: { anonymous: {}, adminPassword: undefined } });
    url = server.url;
    adminPassword = readFileSync(join(server.database.dataDir, 'admin-password'), 'utf8').trim();
    const { identity } = server.server.core;
    await identity.addUser({ username: 'erin', roles: ['user'], password: 'erin-password-1' });
    apiKey = (await identity.createApiKey('erin', 'tests')).key;
    jwt = await identity.issueJwt('erin');
    const submit = async (authorization: string, name: string): Promise<void> => {
      const response = await fetch(`${url}/jobs`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'text/yaml' },
        body: `name: ${name}\ntasks:\n  - name: a\n    run: echo hi\n`,
      });
      expect(response.status).toBe(200);
      await response.text();
    };
    await submit(`Bearer ${apiKey}`, 'erin job');
    await submit(`Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'admin job');
  });

  afterAll(async () => {
    killLeftovers();
    await server?.destroy();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('--token and GANTRY_TOKEN send an API key or a JWT as Bearer; the server answers as their user', async () => {
    expect(await listedNames(['--token', apiKey])).toEqual(['erin job']);
    expect(await listedNames(['--token', jwt])).toEqual(['erin job']);
    expect(await listedNames([], { env: { GANTRY_TOKEN: apiKey } })).toEqual(['erin job']);
    expect(await listedNames([], { env: { GANTRY_TOKEN: jwt } })).toEqual(['erin job']);
  });

  it('--user or GANTRY_USER with GANTRY_PASSWORD send HTTP Basic', async () => {
    expect(await listedNames(['--user', 'erin'], { env: { GANTRY_PASSWORD: 'erin-password-1' } })).toEqual(['erin job']);
    expect(await listedNames([], { env: { GANTRY_USER: 'admin', GANTRY_PASSWORD: adminPassword } })).toEqual(['admin job', 'erin job']);
    // A token wins over a user, and over the kept admin password.
    expect(await listedNames(['--token', apiKey, '--user', 'admin', '--data', server.database.dataDir], { env: { GANTRY_PASSWORD: adminPassword } })).toEqual([
      'erin job',
    ]);
  });

  it("with neither, the local admin's kept password from --data, GANTRY_DATA or the config's dataDir", async () => {
    const { dataDir } = server.database;
    expect(await listedNames(['--data', dataDir])).toEqual(['admin job', 'erin job']);
    expect(await listedNames([], { env: { GANTRY_DATA: dataDir } })).toEqual(['admin job', 'erin job']);
    const config = join(workDir, 'local.yaml');
    writeFileSync(config, `dataDir: ${dataDir}\n`);
    expect(await listedNames(['--config', config])).toEqual(['admin job', 'erin job']);
    const project = mkdtempSync(join(workDir, 'project-'));
    writeFileSync(join(project, 'gantry.yaml'), `dataDir: ${dataDir}\nserver: ${url}\n`);
    const inProject = await runGantry(['jobs', 'ls', '--json'], { cwd: project });
    expect(inProject.code).toBe(0);
    expect((JSON.parse(inProject.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });

  it("fails with exit 4 and the server's message without a credential or with a wrong one", async () => {
    const refused = (message: string): Outcome => ({ code: 4, stdout: '', stderr: `gantry: ${message}\n` });
    const ls = (args: string[], options: Partial<CallOptions> = {}): Promise<Outcome> => gantry(['jobs', 'ls', '--json', '--server', url, ...args], options);
    expect(await ls([])).toEqual(refused('missing or wrong authentication information'));
    // A data directory without a kept password sends nothing either.
    expect(await ls(['--data', workDir])).toEqual(refused('missing or wrong authentication information'));
    expect(await ls(['--token', 'zb_live_not-a-key'])).toEqual(refused('Invalid API key'));
    expect(await ls([], { env: { GANTRY_TOKEN: `${jwt.slice(0, -4)}AAAA` } })).toEqual(refused('the token is not valid'));
    expect(await ls(['--user', 'erin'], { env: { GANTRY_PASSWORD: 'not-her-password' } })).toEqual(refused('wrong username or password'));
    expect(await ls(['--user', 'nobody'], { env: { GANTRY_PASSWORD: 'whatever-password' } })).toEqual(refused('wrong username or password'));
    // A user without a password is a usage error, found before anything is sent.
    expect(await ls(['--user', 'erin'])).toEqual({ code: 2, stdout: '', stderr: 'gantry: user erin needs a password: set GANTRY_PASSWORD\n' });
  });
});
