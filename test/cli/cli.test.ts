import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { CLI } from '../support/process-server.js';
import { eventually, request, waitForJob, yamlHeaders } from '../support/server.js';
import { closedPort, expectUsageError, gantry as runGantry, killLeftovers, requireBuiltCli, type CallOptions, type Outcome } from './run-cli.js';

/**
 * The built CLI against a real server: `npm test` builds first (pretest); when
 * running `npx vitest run test/cli` directly, run `npm run build` before.
 */

let workDir: string;

/** The CLI with a clean environment (no GANTRY_* of the developer's shell) in an empty directory (no stray gantry.yaml). */
const gantry = (args: string[], options: Partial<CallOptions> = {}): Promise<Outcome> => runGantry(args, { cwd: workDir, ...options });

/** util-linux `script`, which runs a command on a pseudo-terminal. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));

/** Another program, for what only it can give the CLI (a terminal); a clean environment here too. */
function runCommand(file: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' };
    execFile(file, args, { cwd, env, timeout: 20_000, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

function writeJob(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

const unique = (): string => Math.random().toString(36).slice(2, 10);

describe('gantry client commands against a real server', () => {
  let server: RunningServer;
  let dataDir: string;
  let url: string;

  beforeAll(async () => {
    requireBuiltCli();
    workDir = mkdtempSync(join(tmpdir(), 'gantry-cli-'));
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-cli-data-'));
    const config = loadConfig({
      env: {},
      flags: {
        host: '127.0.0.1',
        port: 0,
        dataDir,
        logLevel: 'silent',
        scheduler: { retryBackoffMs: 50 },
        shutdown: { graceMs: 1_000 },
        // These tests are about the CLI; sending credentials is tested in test/cli/credentials.test.ts.
        auth: { anonymous: { tork: 'admin' } },
      },
    });
    server = await startServer(config);
    url = server.url;
  });

  afterAll(async () => {
    killLeftovers();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  describe('run', () => {
    it('submits a YAML file and prints the id of a job the server has', async () => {
      const name = `cli hello ${unique()}`;
      const file = writeJob('hello.yaml', `name: ${name}\ntasks:\n  - name: greet\n    run: echo hello\n`);
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const id = stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const job = await request<Record<string, any>>(`${url}/jobs/${id}`);
      expect(job.status).toBe(200);
      expect(job.body.name).toBe(name);
    });

    it('sends .json files as JSON and prints the raw answer with --json', async () => {
      const file = writeJob('hello.json', JSON.stringify({ name: 'cli json', tasks: [{ name: 'a', run: 'echo from json' }] }));
      const { code, stdout } = await gantry(['run', file, '--server', url, '--json']);
      expect(code).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({ name: 'cli json', state: 'PENDING', position: 1, taskCount: 1 });
      expect(summary.id).toMatch(/^[0-9a-f]{32}$/);
      expect((await waitForJob(url, summary.id)).state).toBe('COMPLETED');
    });

    it('reads the job from stdin with -', async () => {
      const { code, stdout } = await gantry(['run', '-', '--server', url], { input: 'name: from stdin\ntasks:\n  - name: a\n    run: echo piped\n' });
      expect(code).toBe(0);
      const job = await request<Record<string, any>>(`${url}/jobs/${stdout.trim()}`);
      expect(job.body.name).toBe('from stdin');
    });

    it('--wait exits 0 once the job COMPLETED; on a pipe progress is a plain line per change, never redrawn', async () => {
      const file = writeJob('two-tasks.yaml', 'name: cli wait\ntasks:\n  - name: one\n    run: sleep 0.6\n  - name: two\n    run: sleep 0.6\n');
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url, '--wait']);
      expect(code).toBe(0);
      const id = stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(stderr).not.toContain('\r');
      expect(stderr).not.toContain('\x1b');
      const lines = stderr.trimEnd().split('\n');
      expect(lines.pop()).toMatch(new RegExp(`^job ${id} COMPLETED in \\S+$`));
      // Each line is a new state or task, with the time since submission.
      const milestones = lines.map((line) => new RegExp(`^job ${id}  (\\S+(?:  task \\d/2)?)  \\d+\\.\\ds$`).exec(line)?.[1]);
      expect(milestones).toContain('RUNNING  task 2/2');
      expect(new Set(milestones).size).toBe(milestones.length);
      const job = await request<Record<string, any>>(`${url}/jobs/${id}`);
      expect(job.body.state).toBe('COMPLETED');
      expect(job.body.execution.map((task: { state: string }) => task.state)).toEqual(['COMPLETED', 'COMPLETED']);
    });

    it.runIf(SCRIPT !== undefined)('--wait on a terminal redraws one progress line in place, then clears it for the final line', async () => {
      // util-linux `script` gives the CLI a real pseudo-terminal as stdout and stderr.
      const file = writeJob('tty.yaml', 'name: cli tty\ntasks:\n  - name: one\n    run: sleep 0.5\n');
      const command = [process.execPath, CLI, 'run', file, '--server', url, '--wait'].map((word) => `'${word}'`).join(' ');
      const { code, stdout } = await runCommand(SCRIPT!, ['-qfec', command, '/dev/null'], workDir);
      expect(code).toBe(0);
      const id = /^([0-9a-f]{32})\r?$/m.exec(stdout)?.[1];
      expect(id).toBeDefined();
      // Redraws: carriage return, erase line, the line again; the last erase comes before the final line.
      expect(stdout).toMatch(new RegExp(`\\r\\x1b\\[2Kjob ${id}  RUNNING  task 1/1  \\d+\\.\\ds`));
      expect(stdout).toMatch(new RegExp(`\\r\\x1b\\[2Kjob ${id} COMPLETED in \\S+\\r?\\n$`));
    });

    it('--wait exits 1 for a FAILED job and prints its error', async () => {
      const file = writeJob('fail.yaml', 'name: cli fail\ntasks:\n  - name: fails\n    run: exit 3\n');
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url, '--wait']);
      expect(code).toBe(1);
      const id = stdout.trim();
      const job = await request<Record<string, any>>(`${url}/jobs/${id}`);
      expect(job.body.state).toBe('FAILED');
      expect(job.body.error).toEqual(expect.any(String));
      expect(stderr).toContain(`gantry: job ${id} FAILED`);
      expect(stderr).toContain(job.body.error);
    });

    it('--wait --json prints the ended job with its executions', async () => {
      const file = writeJob('json-wait.yaml', 'name: cli json wait\ntasks:\n  - name: a\n    run: echo hi\n');
      const { code, stdout } = await gantry(['run', file, '--server', url, '--wait', '--json']);
      expect(code).toBe(0);
      const job = JSON.parse(stdout);
      expect(job).toMatchObject({ name: 'cli json wait', state: 'COMPLETED' });
      expect(job.execution).toHaveLength(1);
      expect(job.execution[0]).toMatchObject({ name: 'a', state: 'COMPLETED' });
    });

    it("--follow streams each task's output to stdout in order and exits 0", async () => {
      const file = writeJob(
        'follow.yaml',
        'name: cli follow\ntasks:\n  - name: first\n    run: echo hello from gantry\n  - name: second\n    run: echo second line; echo third line\n',
      );
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url, '--follow']);
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      const at = ['hello from gantry', 'second line', 'third line'].map((line) => lines.indexOf(line));
      expect(at.every((index) => index >= 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // stdout is only the log; the id and the outcome are on stderr.
      const id = /^job ([0-9a-f]{32})$/m.exec(stderr)?.[1];
      expect(id).toBeDefined();
      expect(stderr).toContain(`job ${id} COMPLETED`);
      expect((await request<Record<string, any>>(`${url}/jobs/${id}`)).body.state).toBe('COMPLETED');
    });

    it('--follow exits 1 when the job fails, and --json streams NDJSON ending with the job', async () => {
      const file = writeJob('follow-fail.yaml', 'name: cli follow fail\ntasks:\n  - name: a\n    run: echo before failing; exit 3\n');
      const { code, stdout } = await gantry(['run', file, '--server', url, '--follow', '--json']);
      expect(code).toBe(1);
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
      const last = lines.pop();
      expect(last.job).toMatchObject({ name: 'cli follow fail', state: 'FAILED' });
      for (const part of lines) expect(part).toEqual(expect.objectContaining({ id: expect.anything(), taskId: expect.any(String), contents: expect.any(String) }));
      expect(lines.map((part) => part.contents).join('')).toContain('before failing\n');
    });

    it("exits 4 with the server's message, after the file's name, for a job it rejects", async () => {
      const file = writeJob('no-tasks.yaml', 'name: no tasks here\n');
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url]);
      expect(code).toBe(4);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^gantry: .*no-tasks\.yaml: .*[Tt]asks/);
      expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);

      const broken = await gantry(['run', '-', '--server', url], { input: 'name: x\ntasks: [\n' });
      expect(broken.code).toBe(4);
      expect(broken.stderr).toMatch(/^gantry: stdin: line \d+, column \d+: .+\n$/);
    });

    it('exits 2 for a file that does not exist or is empty, without calling the server', async () => {
      const { code, stderr } = await gantry(['run', join(workDir, 'missing.yaml'), '--server', url]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^gantry: cannot read .*missing\.yaml: no such file\n$/);
      const before = (await request<Record<string, any>>(`${url}/jobs?size=1`)).body.totalItems;
      const empty = await gantry(['run', writeJob('empty.yaml', '\n'), '--server', url]);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toMatch(/^gantry: .*empty\.yaml is empty: expected a job definition\n$/);
      expect((await request<Record<string, any>>(`${url}/jobs?size=1`)).body.totalItems).toBe(before);
    });
  });

  describe('jobs', () => {
    it('ls lists a submitted job; -q narrows to it; --json is the page', async () => {
      const name = `cli-ls-${unique()}`;
      const submitted = await gantry(['run', writeJob('ls.yaml', `name: ${name}\ntasks:\n  - name: a\n    run: echo ls\n`), '--server', url, '--wait']);
      const id = submitted.stdout.trim();

      const all = await gantry(['jobs', 'ls', '--server', url, '--size', '20']);
      expect(all.code).toBe(0);
      const [header, ...rows] = all.stdout.trimEnd().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'STATE', 'CREATED', 'DURATION']);
      const row = rows.find((line) => line.startsWith(id));
      expect(row).toBeDefined();
      expect(row!.split(/\s{2,}/).slice(0, 3)).toEqual([id, name, 'COMPLETED']);

      const found = await gantry(['jobs', 'ls', '-q', name, '--server', url]);
      expect(found.stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringMatching(new RegExp(`^${id}\\s+${name}\\s+COMPLETED`))]);

      const json = await gantry(['jobs', 'ls', '--server', url, '--json', '-q', name]);
      expect(json.code).toBe(0);
      const page = JSON.parse(json.stdout);
      expect(page).toMatchObject({ number: 1, totalPages: 1, totalItems: 1 });
      expect(page.items.map((job: { id: string }) => job.id)).toEqual([id]);

      const none = await gantry(['jobs', 'ls', '-q', `no-such-job-${unique()}`, '--server', url]);
      expect(none).toMatchObject({ code: 0, stdout: '' });
      expect(none.stderr).toContain('no jobs match');
    });

    it('ls pages with --page and --size, and says there is more on stderr', async () => {
      const { code, stdout, stderr } = await gantry(['jobs', 'ls', '--server', url, '--size', '1', '--page', '2']);
      expect(code).toBe(0);
      expect(stdout.trimEnd().split('\n')).toHaveLength(2);
      expect(stderr).toMatch(/^page 2 of \d+ \(\d+ jobs\)/);
    });

    it('get shows the summary and a row per task execution', async () => {
      const file = writeJob('get.yaml', 'name: cli get\ntasks:\n  - name: step one\n    run: echo one\n  - name: step two\n    run: exit 4\n');
      const { stdout } = await gantry(['run', file, '--server', url, '--wait']);
      const id = stdout.trim();

      const human = await gantry(['jobs', 'get', id, '--server', url]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(new RegExp(`^ID:\\s+${id}$`, 'm'));
      expect(human.stdout).toMatch(/^STATE:\s+FAILED$/m);
      expect(human.stdout).toMatch(/^ERROR:\s+\S/m);
      expect(human.stdout).toMatch(/^NAME\s+STATE\s+STARTED\s+DURATION\s+ERROR$/m);
      expect(human.stdout).toMatch(/^step one\s+COMPLETED\s/m);
      expect(human.stdout).toMatch(/^step two\s+FAILED\s/m);

      const json = await gantry(['jobs', 'get', id, '--server', url, '--json']);
      const job = JSON.parse(json.stdout);
      expect(job).toMatchObject({ id, name: 'cli get', state: 'FAILED' });
      expect(job.execution.map((task: { name: string }) => task.name)).toEqual(['step one', 'step two']);
    });

    it('an unknown id prints the server message and exits 4, for every command that takes one', async () => {
      const unknown = '0123456789abcdef0123456789abcdef';
      for (const command of ['get', 'cancel', 'restart', 'logs']) {
        const outcome = await gantry(['jobs', command, unknown, '--server', url]);
        expect({ command, ...outcome }).toEqual({ command, code: 4, stdout: '', stderr: 'gantry: job not found\n' });
      }
      const followed = await gantry(['jobs', 'logs', unknown, '--follow', '--server', url]);
      expect(followed).toEqual({ code: 4, stdout: '', stderr: 'gantry: job not found\n' });
    });

    it('logs prints the whole log oldest first, across pages; --page shows one page', async () => {
      const file = writeJob(
        'logs.yaml',
        'name: cli logs\ntasks:\n  - name: a\n    run: echo alpha\n  - name: b\n    run: echo bravo\n  - name: c\n    run: echo charlie\n',
      );
      const id = (await gantry(['run', file, '--server', url, '--wait'])).stdout.trim();
      const server = await request<Record<string, any>>(`${url}/jobs/${id}/log?size=100`);
      const oldestFirst = [...server.body.items].reverse().map((part: { contents: string }) => part.contents).join('');
      expect(oldestFirst).toMatch(/alpha\n[^]*bravo\n[^]*charlie\n/);

      const whole = await gantry(['jobs', 'logs', id, '--server', url]);
      expect(whole.code).toBe(0);
      expect(whole.stdout).toBe(oldestFirst);
      // One part per request: the pages must still come out whole and in order.
      const paged = await gantry(['jobs', 'logs', id, '--server', url, '--size', '1']);
      expect(paged.stdout).toBe(oldestFirst);

      const newest = await gantry(['jobs', 'logs', id, '--server', url, '--page', '1', '--size', '1']);
      expect(newest.stdout).toBe(server.body.items[0].contents);

      const json = await gantry(['jobs', 'logs', id, '--server', url, '--json', '--size', '2']);
      const page = JSON.parse(json.stdout);
      expect(page).toMatchObject({ number: 1, totalItems: server.body.totalItems });
      expect(page.items).toHaveLength(Math.min(2, server.body.totalItems));
    });

    it('cancel stops a running job (a follower exits 1), restart runs it again, and refusals exit 4', async () => {
      const submitted = await request<{ id: string }>(`${url}/jobs`, {
        method: 'POST',
        body: 'name: cli cancel\ntasks:\n  - name: long\n    run: echo started; sleep 30\n',
        headers: yamlHeaders,
      });
      const id = submitted.body.id;
      await eventually(async () => ((await request<Record<string, any>>(`${url}/jobs/${id}`)).body.state === 'RUNNING' ? true : undefined));

      const follower = gantry(['jobs', 'logs', id, '--follow', '--server', url]);
      const cancelled = await gantry(['jobs', 'cancel', id, '--server', url]);
      expect(cancelled).toMatchObject({ code: 0, stdout: 'OK\n', stderr: '' });
      const followed = await follower;
      expect(followed.code).toBe(1);
      expect(followed.stderr).toContain(`job ${id} CANCELLED`);
      expect((await waitForJob(url, id)).state).toBe('CANCELLED');

      const again = await gantry(['jobs', 'cancel', id, '--server', url]);
      expect(again.code).toBe(4);
      expect(again.stderr).toBe('gantry: job is not running\n');

      const restarted = await gantry(['jobs', 'restart', id, '--server', url, '--json']);
      expect(restarted.code).toBe(0);
      expect(JSON.parse(restarted.stdout)).toEqual({ status: 'OK' });
      await eventually(async () => ((await request<Record<string, any>>(`${url}/jobs/${id}`)).body.state === 'RUNNING' ? true : undefined));
      expect((await gantry(['jobs', 'cancel', id, '--server', url])).code).toBe(0);
      await waitForJob(url, id);
      // A cancelled job has no end time: its duration is unknown, not still counting.
      const shown = await gantry(['jobs', 'get', id, '--server', url]);
      expect(shown.stdout).toMatch(/^STATE:\s+CANCELLED$/m);
      expect(shown.stdout).toMatch(/^DURATION:\s+-$/m);
      const listed = await gantry(['jobs', 'ls', '-q', 'cli cancel', '--server', url]);
      expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+cli cancel\\s+CANCELLED\\s+\\S+ \\S+\\s+-$`, 'm'));

      const completed = (await gantry(['run', writeJob('done.yaml', 'name: done\ntasks:\n  - name: a\n    run: echo ok\n'), '--server', url, '--wait'])).stdout.trim();
      const refused = await gantry(['jobs', 'restart', completed, '--server', url]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toBe('gantry: job is COMPLETED and can not be restarted\n');
    }, 60_000);
  });

  describe('nodes and queues', () => {
    it('nodes shows the in-process worker', async () => {
      const { code, stdout } = await gantry(['nodes', '--server', url]);
      expect(code).toBe(0);
      const [header, ...rows] = stdout.trimEnd().split('\n');
      expect(header!.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'HOSTNAME', 'STATUS', 'CPU%', 'TASKS', 'LAST HEARTBEAT']);
      const nodes = (await request<Array<Record<string, any>>>(`${url}/nodes`)).body;
      expect(rows).toHaveLength(nodes.length);
      expect(rows.some((row) => row.startsWith(nodes[0]!.id) && /\sUP\s/.test(row))).toBe(true);

      const json = JSON.parse((await gantry(['nodes', '--server', url, '--json'])).stdout);
      expect(json[0]).toMatchObject({ id: nodes[0]!.id, status: 'UP', version: expect.any(String) });
    });

    it('queues shows the default queue with its counters', async () => {
      const { code, stdout } = await gantry(['queues', '--server', url]);
      expect(code).toBe(0);
      const [header, ...rows] = stdout.trimEnd().split('\n');
      expect(header!.trim().split(/\s{2,}/)).toEqual(['NAME', 'SIZE', 'SUBSCRIBERS', 'UNACKED']);
      expect(rows.some((row) => /^default\s+\d+\s+\d+\s+\d+$/.test(row))).toBe(true);

      const json = JSON.parse((await gantry(['queues', '--server', url, '--json'])).stdout);
      expect(json).toContainEqual({ name: 'default', size: expect.any(Number), subscribers: expect.any(Number), unacked: expect.any(Number) });
    });
  });

  describe('choosing the server', () => {
    it('uses GANTRY_SERVER, then gantry.yaml, when --server is not given', async () => {
      const fromEnv = await gantry(['queues', '--json'], { env: { GANTRY_SERVER: url } });
      expect(fromEnv.code).toBe(0);
      expect(JSON.parse(fromEnv.stdout)).toEqual(expect.any(Array));

      const project = mkdtempSync(join(workDir, 'project-'));
      writeFileSync(join(project, 'gantry.yaml'), `server: ${url}\n`);
      const fromFile = await gantry(['nodes', '--json'], { cwd: project });
      expect(fromFile.code).toBe(0);
      expect(JSON.parse(fromFile.stdout)).toEqual(expect.any(Array));
    });

    it('says clearly when nothing answers at the server address', async () => {
      const dead = `http://127.0.0.1:${await closedPort()}`;
      const { code, stdout, stderr } = await gantry(['jobs', 'ls', '--server', dead]);
      expect(code).toBe(3);
      expect(stdout).toBe('');
      expect(stderr).toMatch(new RegExp(`^gantry: cannot reach the Gantry server at ${dead}: .*ECONNREFUSED`));
    });

    it('rejects a --server, GANTRY_SERVER or server: that is not an http URL, naming where it came from', async () => {
      const flag = await gantry(['nodes', '--server', 'localhost:5001']);
      expect(flag).toEqual({ code: 2, stdout: '', stderr: 'gantry: config server (from --server): expected an http:// or https:// URL, e.g. http://127.0.0.1:5001\n' });
      const env = await gantry(['nodes'], { env: { GANTRY_SERVER: 'not a url' } });
      expect(env.code).toBe(2);
      expect(env.stderr).toMatch(/^gantry: config server \(from GANTRY_SERVER\): expected an http/);
      const project = mkdtempSync(join(workDir, 'bad-server-'));
      writeFileSync(join(project, 'gantry.yaml'), `# where the CLI goes\nserver: ftp://${new URL(url).host}\n`);
      const file = await gantry(['queues'], { cwd: project });
      expect(file.code).toBe(2);
      expect(file.stderr).toMatch(/^gantry: config server \(from gantry\.yaml line 2\): expected an http/);
    });

    it('without server: set, goes where gantry serve would listen with the same settings', async () => {
      const port = new URL(url).port;
      const fromEnv = await gantry(['queues', '--json'], { env: { GANTRY_PORT: port } });
      expect(fromEnv.code).toBe(0);
      expect(JSON.parse(fromEnv.stdout)).toContainEqual(expect.objectContaining({ name: 'default' }));

      const project = mkdtempSync(join(workDir, 'port-'));
      writeFileSync(join(project, 'gantry.yaml'), `host: 0.0.0.0\nport: ${port}\n`);
      const fromFile = await gantry(['nodes', '--json'], { cwd: project });
      expect(fromFile.code).toBe(0);
      expect(JSON.parse(fromFile.stdout)[0]).toMatchObject({ status: 'UP' });
    });

    it('reads the file named by --config, which wins over GANTRY_CONFIG', async () => {
      const project = mkdtempSync(join(workDir, 'named-'));
      writeFileSync(join(project, 'good.yaml'), `server: ${url}\n`);
      writeFileSync(join(project, 'dead.yaml'), `server: http://127.0.0.1:${await closedPort()}\n`);
      const named = await gantry(['queues', '--json', '--config', 'good.yaml'], { cwd: project, env: { GANTRY_CONFIG: 'dead.yaml' } });
      expect(named.code).toBe(0);
      const fromEnv = await gantry(['queues', '--json'], { cwd: project, env: { GANTRY_CONFIG: 'dead.yaml' } });
      expect(fromEnv.code).toBe(3);
      const missing = await gantry(['queues', '--config', 'nope.yaml'], { cwd: project });
      expect(missing).toEqual({ code: 2, stdout: '', stderr: 'gantry: config file nope.yaml (from --config) does not exist\n' });
    });
  });

  describe('usage errors', () => {
    it('exit 2 with one line saying what is wrong and where the help is', async () => {
      expectUsageError(await gantry(['frob']), /^gantry: unknown command 'frob'$/);
      expectUsageError(await gantry(['jobs', 'frob']), /^gantry: unknown command 'jobs frob'$/);
      expectUsageError(await gantry(['jobs', 'ls', '--bogus']), /^gantry: unknown option '--bogus'$/);
      expectUsageError(await gantry(['jobs', 'get']), /^gantry: missing required argument 'id'$/);
      expectUsageError(await gantry(['jobs', 'ls', '--page', '0', '--server', url]), /^gantry: option '--page <n>' argument '0' is invalid/);
      expectUsageError(await gantry(['jobs', 'logs', 'x', '--size', 'many', '--server', url]), /^gantry: option '--size <n>' argument 'many' is invalid/);
      expectUsageError(await gantry(['run']), /^gantry: missing required argument 'file'$/);
      expectUsageError(await gantry(['nodes', 'extra']), /^gantry: unknown command 'nodes extra'$/);
    });

    it('runs as a program of its own, as npx and a global install start it: package.json bin, shebang, executable', async () => {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string>; version: string };
      expect(fileURLToPath(new URL(`../../${pkg.bin.gantry}`, import.meta.url))).toBe(CLI);
      // Executed directly (no `node` in front), so the kernel needs the exec bit and the #! line.
      const direct = await runCommand(CLI, ['--version'], workDir);
      expect(direct).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    });

    it('gantry alone prints the help on stderr and exits 2; --help and --version exit 0', async () => {
      const bare = await gantry([]);
      expect(bare.code).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toMatch(/^Usage: gantry /);
      const help = await gantry(['jobs', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: gantry jobs /);
      for (const command of ['ls', 'get', 'cancel', 'restart', 'logs']) expect(help.stdout).toContain(`  ${command}`);
      const version = await gantry(['--version']);
      expect(version).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), stderr: '' });
    });
  });
});
