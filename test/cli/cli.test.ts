import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { eventually, request, waitForJob, yamlHeaders } from '../support/server.js';

/**
 * The built CLI against a real server: `npm test` builds first (pretest); when
 * running `npx vitest run test/cli` directly, run `npm run build` before.
 */
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Longest any one CLI call may take; jobs here run in well under a second. */
const CALL_TIMEOUT_MS = 20_000;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface CallOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

const running = new Set<ChildProcess>();
let workDir: string;

/**
 * Runs `node dist/cli/main.js ARGS` with a clean environment (no GANTRY_* of
 * the developer's shell) in an empty directory (no stray gantry.yaml).
 */
function gantry(args: string[], options: CallOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd ?? workDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
        timeout: CALL_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        running.delete(child);
        if (error?.killed) {
          reject(new Error(`gantry ${args.join(' ')} did not finish in ${CALL_TIMEOUT_MS} ms; stderr: ${stderr}`));
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
    running.add(child);
    child.stdin?.end(options.input ?? '');
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
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
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
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
      },
    });
    server = await startServer(config);
    url = server.url;
  });

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
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

    it('--wait exits 0 once the job COMPLETED, with no progress redraws on a pipe', async () => {
      const file = writeJob('two-tasks.yaml', 'name: cli wait\ntasks:\n  - name: one\n    run: echo one\n  - name: two\n    run: echo two\n');
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url, '--wait']);
      expect(code).toBe(0);
      const id = stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(stderr).toMatch(new RegExp(`^job ${id} COMPLETED in \\S+\\n$`));
      expect(stderr).not.toContain('\r');
      expect(stderr).not.toContain('\x1b');
      const job = await request<Record<string, any>>(`${url}/jobs/${id}`);
      expect(job.body.state).toBe('COMPLETED');
      expect(job.body.execution.map((task: { state: string }) => task.state)).toEqual(['COMPLETED', 'COMPLETED']);
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

    it("shows the server's message for a job it rejects", async () => {
      const file = writeJob('no-tasks.yaml', 'name: no tasks here\n');
      const { code, stdout, stderr } = await gantry(['run', file, '--server', url]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^gantry: .*[Tt]asks/);
      expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    });

    it('exits 2 for a file that does not exist, without calling the server', async () => {
      const { code, stderr } = await gantry(['run', join(workDir, 'missing.yaml'), '--server', url]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^gantry: cannot read .*missing\.yaml: no such file\n$/);
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

    it('get of an unknown id prints the server message and exits 1', async () => {
      const { code, stdout, stderr } = await gantry(['jobs', 'get', '0123456789abcdef0123456789abcdef', '--server', url]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe('gantry: job not found\n');
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

    it('cancel stops a running job (a follower exits 1), restart runs it again, and refusals exit 1', async () => {
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
      expect(again.code).toBe(1);
      expect(again.stderr).toBe('gantry: job is not running\n');

      const restarted = await gantry(['jobs', 'restart', id, '--server', url, '--json']);
      expect(restarted.code).toBe(0);
      expect(JSON.parse(restarted.stdout)).toEqual({ status: 'OK' });
      await eventually(async () => ((await request<Record<string, any>>(`${url}/jobs/${id}`)).body.state === 'RUNNING' ? true : undefined));
      expect((await gantry(['jobs', 'cancel', id, '--server', url])).code).toBe(0);
      await waitForJob(url, id);

      const completed = (await gantry(['run', writeJob('done.yaml', 'name: done\ntasks:\n  - name: a\n    run: echo ok\n'), '--server', url, '--wait'])).stdout.trim();
      const refused = await gantry(['jobs', 'restart', completed, '--server', url]);
      expect(refused.code).toBe(1);
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
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(new RegExp(`^gantry: cannot reach the Gantry server at ${dead}: .*ECONNREFUSED`));
    });

    it('rejects a --server that is not a URL', async () => {
      const { code, stderr } = await gantry(['nodes', '--server', 'not a url']);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^gantry: config server \(from flags\)/);
    });
  });
});
