/**
 * Zeroboot's API as Gantry serves it, against the real server and its warm
 * sandbox pools: /v1/exec (and the legacy /exec), /v1/exec/batch, /v1/health,
 * /v1/metrics, the keys file and its rate limit, the exec records in the store,
 * and every kind of bad input refused before a sandbox runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/core/model.js';
import * as jobsRepo from '../../../src/store/jobs-repo.js';
import * as tasksRepo from '../../../src/store/tasks-repo.js';
import { createTestDatabase, STORES, type StoreKind } from '../../support/stores.js';
import { eventually, request, startTestServer, type JsonResponse, type TestServer } from '../../support/server.js';

/** Warm pools kept small: every server of this file starts them. */
const EXEC_ON = { exec: { enabled: true, spares: { python: 2, node: 1 } } };

const json = { 'content-type': 'application/json' };
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A UUID of version 7 (RFC 9562): the version nibble 7, the variant bits 10. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface ExecAnswer {
  id: string;
  stdout: string;
  stderr: string;
  exit_code: number;
  fork_time_ms: number;
  exec_time_ms: number;
  total_time_ms: number;
}

function post<T = any>(t: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  return request<T>(`${t.url}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
}

const exec = (t: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<ExecAnswer>> => post<ExecAnswer>(t, '/v1/exec', body, headers);

/** Exactly Zeroboot's seven fields, with its types; timings rounded to 2 decimals. */
function expectExecShape(answer: unknown): asserts answer is ExecAnswer {
  expect(Object.keys(answer as object).sort()).toEqual(['exec_time_ms', 'exit_code', 'fork_time_ms', 'id', 'stderr', 'stdout', 'total_time_ms']);
  const result = answer as ExecAnswer;
  expect(result.id).toMatch(UUID_V7);
  expect(typeof result.stdout).toBe('string');
  expect(typeof result.stderr).toBe('string');
  expect(Number.isInteger(result.exit_code)).toBe(true);
  for (const field of ['fork_time_ms', 'exec_time_ms', 'total_time_ms'] as const) {
    const value = result[field];
    expect(typeof value, field).toBe('number');
    expect(Number.isFinite(value), field).toBe(true);
    expect(value, field).toBeGreaterThanOrEqual(0);
    expect(Math.abs(value * 100 - Math.round(value * 100)), `${field} = ${value} has at most 2 decimals`).toBeLessThan(1e-6);
  }
}

/** The Prometheus text of /v1/metrics. */
async function metricsText(t: TestServer): Promise<string> {
  const response = await fetch(`${t.url}/v1/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The sum of a metric's samples whose labels include `labels` (a sample line is `name{labels} value`). */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) present.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) sum += Number(match[3]);
  }
  return sum;
}

/** The exec records of the store, newest first (optionally of one owner). */
async function execJobs(t: TestServer, owner?: string): Promise<Job[]> {
  const { db, dialect } = t.server.core.store;
  const page = await jobsRepo.list(db, dialect, { page: 1, size: 10_000, kind: 'exec', ...(owner !== undefined ? { owner } : {}) });
  return page.items;
}

/** The exec record whose task carries the execution id `id`, once the recorder has written it. */
async function recordOf(t: TestServer, id: string): Promise<{ job: Job; tasks: Awaited<ReturnType<typeof tasksRepo.listByJob>> }> {
  const { db } = t.server.core.store;
  return eventually(
    async () => {
      const task = await tasksRepo.get(db, id.replaceAll('-', ''));
      if (!task) return undefined;
      const job = await jobsRepo.get(db, task.jobId);
      return job ? { job, tasks: await tasksRepo.listByJob(db, job.id) } : undefined;
    },
    1_000,
    `the exec record of ${id}`,
  );
}

describe('Zeroboot exec without a keys file (sqlite)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', EXEC_ON);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('POST /v1/exec', () => {
    it('runs python and answers exactly Zeroboot’s fields', async () => {
      const answer = await exec(t, { code: 'print(1+1)', language: 'python' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expectExecShape(answer.body);
      expect(answer.body).toMatchObject({ stdout: '2\n', stderr: '', exit_code: 0 });
    });

    it('runs node, and javascript as node', async () => {
      for (const language of ['node', 'javascript']) {
        const answer = await exec(t, { code: 'console.log(1+1)', language });
        expect(answer.status, language).toBe(200);
        expectExecShape(answer.body);
        expect(answer.body, language).toMatchObject({ stdout: '2\n', stderr: '', exit_code: 0 });
      }
      // Node it is: python would fail on this.
      const node = await exec(t, { code: 'console.log(typeof process.versions.node)', language: 'javascript' });
      expect(node.body).toMatchObject({ stdout: 'string\n', exit_code: 0 });
    });

    it('takes python when no language is given, and serves the legacy /exec too', async () => {
      const answer = await exec(t, { code: 'import sys; print(sys.version_info[0])' });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ stdout: '3\n', stderr: '', exit_code: 0 });
      const legacy = await post<ExecAnswer>(t, '/exec', { code: 'print("legacy")', language: 'python', timeout_seconds: 30 });
      expect(legacy.status).toBe(200);
      expectExecShape(legacy.body);
      expect(legacy.body).toMatchObject({ stdout: 'legacy\n', exit_code: 0 });
    });

    it('gives each execution its own id', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => exec(t, { code: `print(${i})` })));
      const ids = answers.map((answer) => answer.body.id);
      for (const [i, answer] of answers.entries()) expect(answer.body).toMatchObject({ stdout: `${i}\n`, exit_code: 0 });
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(UUID_V7);
    });

    it('reports the snippet’s own exit status: sys.exit(3) is 3', async () => {
      const answer = await exec(t, { code: 'import sys\nprint("bye")\nsys.exit(3)' });
      expect(answer.status).toBe(200);
      expectExecShape(answer.body);
      expect(answer.body).toMatchObject({ stdout: 'bye\n', exit_code: 3 });
    });

    it('answers an exception with exit code 1 and the traceback in stderr', async () => {
      const answer = await exec(t, { code: 'def f():\n    raise ValueError("boom")\nf()' });
      expect(answer.status).toBe(200);
      expectExecShape(answer.body);
      expect(answer.body.exit_code).toBe(1);
      expect(answer.body.stdout).toBe('');
      expect(answer.body.stderr).toContain('Traceback (most recent call last)');
      expect(answer.body.stderr).toContain('ValueError: boom');
    });

    it('stops a snippet at its timeout: 200, exit code -1, no stdout, Zeroboot’s message', async () => {
      const started = Date.now();
      const answer = await exec(t, { code: 'print("started")\nwhile True: pass', language: 'python', timeout_seconds: 1 });
      const took = Date.now() - started;
      expect(answer.status).toBe(200);
      expectExecShape(answer.body);
      expect(answer.body).toMatchObject({ stdout: '', stderr: 'Execution timed out after 1s', exit_code: -1 });
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(10_000);
      // The pool is not left broken: the next snippet runs.
      expect((await exec(t, { code: 'print("after")' })).body).toMatchObject({ stdout: 'after\n', exit_code: 0 });
    });
  });

  describe('POST /v1/exec/batch', () => {
    it('runs mixed snippets, answering in request order, each with its own id', async () => {
      const executions = Array.from({ length: 5 }, (_, i) =>
        i % 2 === 0 ? { code: `print(${i})`, language: 'python', timeout_seconds: 30 } : { code: `console.log(${i})`, language: 'node', timeout_seconds: 30 },
      );
      const answer = await post<{ results: ExecAnswer[] }>(t, '/v1/exec/batch', { executions });
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body)).toEqual(['results']);
      expect(answer.body.results).toHaveLength(5);
      for (const [i, result] of answer.body.results.entries()) {
        expectExecShape(result);
        expect(result, `results[${i}]`).toMatchObject({ stdout: `${i}\n`, stderr: '', exit_code: 0 });
      }
      expect(new Set(answer.body.results.map((result) => result.id)).size).toBe(5);
    });

    it('refuses a whole batch with one bad snippet, naming it, and runs none', async () => {
      const before = metricSum(await metricsText(t), 'gantry_exec_requests_total');
      const executions = [{ code: 'print(0)' }, { code: 'print(1)' }, { code: 'print(2)', language: 'ruby' }, { code: 'print(3)' }];
      const answer = await post<{ error: string }>(t, '/v1/exec/batch', { executions });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'executions[2].unknown language "ruby": use python, node or javascript' });
      const missing = await post<{ error: string }>(t, '/v1/exec/batch', { executions: [{ code: 'print(0)' }, { language: 'python' }] });
      expect(missing.status).toBe(422);
      expect(missing.body).toEqual({ error: 'executions[1].code is required' });
      expect(metricSum(await metricsText(t), 'gantry_exec_requests_total')).toBe(before);
    });

    it('answers an empty batch with no results', async () => {
      const answer = await post(t, '/v1/exec/batch', { executions: [] });
      expect(answer).toMatchObject({ status: 200, body: { results: [] } });
    });
  });

  describe('GET /v1/health and /v1/metrics', () => {
    it('reports both templates ready with their memory', async () => {
      const answer = await request<any>(`${t.url}/v1/health`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        status: 'ok',
        templates: { python: { ready: true, memory_mb: 256 }, node: { ready: true, memory_mb: 256 } },
      });
      expect(Object.keys(answer.body.templates).sort()).toEqual(['node', 'python']);
    });

    it('serves Prometheus text with Zeroboot’s metrics, and the counts go up after a run', async () => {
      const before = await metricsText(t);
      for (const name of [
        'zeroboot_total_executions',
        'zeroboot_fork_time_milliseconds_bucket',
        'zeroboot_exec_time_milliseconds_bucket',
        'zeroboot_total_time_milliseconds_bucket',
        'zeroboot_concurrent_forks',
        'zeroboot_memory_usage_bytes',
      ]) {
        expect(before, name).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? \\S+$`, 'm'));
      }
      expect(before).toMatch(/^# TYPE zeroboot_exec_time_milliseconds histogram$/m);
      expect(before).toMatch(/^# TYPE zeroboot_total_time_milliseconds histogram$/m);
      expect(before).toMatch(/^zeroboot_fork_time_milliseconds_bucket\{le="\+Inf",language="python"\} \d+$/m);
      expect(before).toMatch(/^gantry_exec_requests_total\{language="python",outcome="success"\} \d+$/m);
      expect(metricSum(before, 'zeroboot_memory_usage_bytes')).toBeGreaterThan(1024 * 1024);

      const success = { language: 'python', outcome: 'success' };
      const ok = await exec(t, { code: 'print("counted")' });
      expect(ok.body.exit_code).toBe(0);
      const failed = await exec(t, { code: 'import sys; sys.exit(2)' });
      expect(failed.body.exit_code).toBe(2);
      const after = await metricsText(t);
      expect(metricSum(after, 'gantry_exec_requests_total', success)).toBe(metricSum(before, 'gantry_exec_requests_total', success) + 1);
      expect(metricSum(after, 'gantry_exec_requests_total', { language: 'python', outcome: 'error' })).toBe(
        metricSum(before, 'gantry_exec_requests_total', { language: 'python', outcome: 'error' }) + 1,
      );
      expect(metricSum(after, 'zeroboot_total_executions', { status: 'success' })).toBe(metricSum(before, 'zeroboot_total_executions', { status: 'success' }) + 1);
      expect(metricSum(after, 'zeroboot_total_executions', { status: 'error' })).toBe(metricSum(before, 'zeroboot_total_executions', { status: 'error' }) + 1);
      expect(metricSum(after, 'zeroboot_exec_time_milliseconds_count', { language: 'python' })).toBe(metricSum(before, 'zeroboot_exec_time_milliseconds_count', { language: 'python' }) + 2);
      expect(metricSum(after, 'zeroboot_total_time_milliseconds_count', { language: 'python' })).toBe(metricSum(before, 'zeroboot_total_time_milliseconds_count', { language: 'python' }) + 2);
      expect(metricSum(after, 'zeroboot_concurrent_forks')).toBe(0);
    });
  });

  describe('bad input', () => {
    type Case = { name: string; path?: string; body: string | Uint8Array; headers?: Record<string, string>; status: number; error: string | RegExp };
    const tooBig = `{"code": "${'x'.repeat(10 * 1024 * 1024)}"}`;
    const hugeBatch = JSON.stringify({ executions: Array.from({ length: 10_000 }, () => ({ code: 'print(1)' })) });
    const cases: Case[] = [
      { name: 'no code', body: '{"language": "python"}', status: 422, error: 'code is required' },
      { name: 'code 42', body: '{"code": 42}', status: 422, error: 'code must be a string' },
      { name: 'language "ruby"', body: '{"code": "print(1)", "language": "ruby"}', status: 400, error: 'unknown language "ruby": use python, node or javascript' },
      { name: 'language 7', body: '{"code": "print(1)", "language": 7}', status: 422, error: 'language must be a string' },
      { name: 'timeout -1', body: '{"code": "print(1)", "timeout_seconds": -1}', status: 400, error: 'timeout_seconds must be between 1 and 300' },
      { name: 'timeout 0', body: '{"code": "print(1)", "timeout_seconds": 0}', status: 400, error: 'timeout_seconds must be between 1 and 300' },
      { name: 'timeout 100000', body: '{"code": "print(1)", "timeout_seconds": 100000}', status: 400, error: 'timeout_seconds must be between 1 and 300' },
      { name: 'timeout 1.5', body: '{"code": "print(1)", "timeout_seconds": 1.5}', status: 400, error: 'timeout_seconds must be a whole number of seconds' },
      { name: 'timeout "10"', body: '{"code": "print(1)", "timeout_seconds": "10"}', status: 422, error: 'timeout_seconds must be a number' },
      { name: 'invalid JSON', body: '{"code": "print(1)"', status: 400, error: /^Failed to parse the request body as JSON: / },
      { name: 'a JSON array', body: '[{"code": "print(1)"}]', status: 422, error: 'the request body must be a JSON object' },
      { name: 'a JSON string', body: '"print(1)"', status: 422, error: 'the request body must be a JSON object' },
      { name: 'text/plain', body: '{"code": "print(1)"}', headers: { 'content-type': 'text/plain' }, status: 415, error: 'Expected request with Content-Type: application/json' },
      { name: 'no content type', body: new TextEncoder().encode('{"code": "print(1)"}'), headers: {}, status: 415, error: 'Expected request with Content-Type: application/json' },
      { name: 'a 10 MB body', body: tooBig, status: 413, error: 'Request Entity Too Large: the body is larger than the limit of 2 MiB' },
      { name: 'a batch of 10,000', path: '/v1/exec/batch', body: hugeBatch, status: 400, error: 'a batch may hold at most 64 executions, not 10000' },
      { name: 'executions not an array', path: '/v1/exec/batch', body: '{"executions": {"code": "print(1)"}}', status: 422, error: 'executions must be an array of {code, language, timeout_seconds}' },
      { name: 'a batch without executions', path: '/v1/exec/batch', body: '{}', status: 422, error: 'executions must be an array of {code, language, timeout_seconds}' },
    ];

    it.each(cases)('refuses $name and runs nothing', async ({ path = '/v1/exec', body, headers = json, status, error }) => {
      const ranBefore = metricSum(await metricsText(t), 'gantry_exec_requests_total');
      // Records of earlier tests' snippets are all written before counting.
      await t.server.core.exec.flushRecords();
      const jobsBefore = (await execJobs(t)).length;
      const answer = await request<{ error: string }>(`${t.url}${path}`, { method: 'POST', headers, body });
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.body)).toEqual(['error']);
      if (typeof error === 'string') expect(answer.body.error).toBe(error);
      else expect(answer.body.error).toMatch(error);
      expect(metricSum(await metricsText(t), 'gantry_exec_requests_total')).toBe(ranBefore);
      await t.server.core.exec.flushRecords();
      expect((await execJobs(t)).length).toBe(jobsBefore);
    });

    it('still runs a good snippet afterwards (the metric the cases watch does count runs)', async () => {
      const before = metricSum(await metricsText(t), 'gantry_exec_requests_total');
      expect((await exec(t, { code: 'print(1)', timeout_seconds: 300 })).body).toMatchObject({ stdout: '1\n', exit_code: 0 });
      expect(metricSum(await metricsText(t), 'gantry_exec_requests_total')).toBe(before + 1);
    });
  });
});

describe('Zeroboot exec with a keys file (sqlite)', () => {
  const FILE_KEY = 'zb_live_from_the_keys_file_1';
  const CALM_KEY = 'zb_live_from_the_keys_file_2';
  const BURST_KEY = 'zb_live_from_the_keys_file_3';
  let t: TestServer;
  beforeAll(async () => {
    const database = await createTestDatabase('sqlite');
    // In place before the server starts, where it looks by default.
    writeFileSync(join(database.dataDir, 'api_keys.json'), JSON.stringify([FILE_KEY, CALM_KEY, BURST_KEY]));
    t = await startTestServer('sqlite', { ...EXEC_ON, auth: { anonymous: {} } }, { database });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('refuses a request without a credential: 401 Missing Authorization header', async () => {
    const before = metricSum(await metricsText(t), 'gantry_exec_requests_total');
    for (const path of ['/v1/exec', '/exec']) {
      const answer = await post(t, path, { code: 'print(1)' });
      expect(answer.status, path).toBe(401);
      expect(answer.body, path).toEqual({ error: 'Missing Authorization header' });
    }
    const batch = await post(t, '/v1/exec/batch', { executions: [{ code: 'print(1)' }] });
    expect(batch).toMatchObject({ status: 401, body: { error: 'Missing Authorization header' } });
    expect(metricSum(await metricsText(t), 'gantry_exec_requests_total')).toBe(before);
  });

  it('refuses unknown keys with 401', async () => {
    const unknownKey = await exec(t, { code: 'print(1)' }, bearer('zb_live_not_a_key_of_anyone'));
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.body).toEqual({ error: 'Invalid API key' });
    // Any other Bearer value is no key either: Zeroboot's words for it too.
    const wrong = await post<{ error: string }>(t, '/v1/exec', { code: 'print(1)' }, bearer('wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'Invalid API key' });
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('runs with a key of the file, and with a key Gantry issued', async () => {
    const fromFile = await exec(t, { code: 'print(1+1)' }, bearer(FILE_KEY));
    expect(fromFile.status).toBe(200);
    expect(fromFile.body).toMatchObject({ stdout: '2\n', exit_code: 0 });
    const { key } = await t.server.core.identity.createApiKey('admin', 'k');
    const issued = await exec(t, { code: 'console.log(6*7)', language: 'node' }, bearer(key));
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ stdout: '42\n', exit_code: 0 });
    const batch = await post<{ results: ExecAnswer[] }>(t, '/v1/exec/batch', { executions: [{ code: 'print(1)' }, { code: 'print(2)' }] }, bearer(key));
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((result) => result.stdout)).toEqual(['1\n', '2\n']);
  });

  it('keeps health public even with keys', async () => {
    const answer = await request<any>(`${t.url}/v1/health`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok', templates: { python: { ready: true, memory_mb: 256 }, node: { ready: true, memory_mb: 256 } } });
    const metrics = await fetch(`${t.url}/v1/metrics`);
    expect(metrics.status).toBe(200);
  });

  it('records a run under the key’s user', async () => {
    const { key } = await t.server.core.identity.createApiKey('admin', 'recorded');
    const answer = await exec(t, { code: 'print("mine")' }, bearer(key));
    expect(answer.body.exit_code).toBe(0);
    const { job, tasks } = await recordOf(t, answer.body.id);
    expect(job).toMatchObject({ kind: 'exec', owner: 'admin', name: 'exec python', state: 'completed', tags: ['exec', 'python'] });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.exitCode).toBe(0);
    // A key of the file acts as a client of its own, not as anonymous.
    const fromFile = await exec(t, { code: 'print("file")' }, bearer(FILE_KEY));
    const fileRecord = await recordOf(t, fromFile.body.id);
    expect(fileRecord.job.owner).not.toBe('anonymous');
    expect(fileRecord.job.owner).not.toBe('admin');
  });

  it('checks the key before the body: a bad body with a good key is 400, without a key 401', async () => {
    const body = '{"code": ';
    const keyed = await request<{ error: string }>(`${t.url}/v1/exec`, { method: 'POST', headers: { ...json, ...bearer(CALM_KEY) }, body });
    expect(keyed.status).toBe(400);
    expect(keyed.body.error).toMatch(/^Failed to parse the request body as JSON/);
    const bare = await request<{ error: string }>(`${t.url}/v1/exec`, { method: 'POST', headers: json, body });
    expect(bare).toMatchObject({ status: 401, body: { error: 'Missing Authorization header' } });
  });

  it('limits a key to 100 requests per second: 429 with Retry-After and Zeroboot’s error; another key is not affected', async () => {
    // Invalid JSON is refused after the key is checked and counted, and costs no sandbox.
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => request<{ error: string }>(`${t.url}/v1/exec`, { method: 'POST', headers: { ...json, ...bearer(BURST_KEY) }, body: '{' })),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    const passed = answers.filter((answer) => answer.status === 400);
    expect(limited.length + passed.length).toBe(answers.length);
    expect(passed.length).toBeGreaterThanOrEqual(100);
    expect(limited.length).toBeGreaterThan(0);
    for (const answer of limited) {
      expect(answer.body).toEqual({ error: 'Rate limit exceeded (100 req/s)' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Another key, well under its rate, gets no 429.
    for (let i = 0; i < 20; i++) {
      const calm = await request(`${t.url}/v1/exec`, { method: 'POST', headers: { ...json, ...bearer(CALM_KEY) }, body: '{' });
      expect(calm.status).toBe(400);
    }
  });
});

describe.each(STORES)('Zeroboot exec records on %s', (kind: StoreKind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, EXEC_ON);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('records a run without a credential as anonymous’ completed job of kind exec, with one task', async () => {
    const answer = await exec(t, { code: 'print(1+1)' });
    expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ stdout: '2\n', exit_code: 0 });
    const { job, tasks } = await recordOf(t, answer.body.id);
    expect(job).toMatchObject({ kind: 'exec', owner: 'anonymous', name: 'exec python', state: 'completed', tags: ['exec', 'python'] });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ exitCode: 0, state: 'completed' });
    expect((await execJobs(t, 'anonymous')).map((record) => record.id)).toContain(job.id);
  });

  it('records a non-zero exit as failed, with its exit code', async () => {
    const answer = await exec(t, { code: 'import sys; sys.exit(3)' });
    expect(answer.body.exit_code).toBe(3);
    const { job, tasks } = await recordOf(t, answer.body.id);
    expect(job).toMatchObject({ kind: 'exec', owner: 'anonymous', name: 'exec python', state: 'failed', tags: ['exec', 'python'] });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ exitCode: 3, state: 'failed' });
  });

  it('records each snippet of a batch, node ones as exec node, under the key’s user', async () => {
    const { key } = await t.server.core.identity.createApiKey('admin', 'batch');
    const answer = await post<{ results: ExecAnswer[] }>(t, '/v1/exec/batch', { executions: [{ code: 'print(1)' }, { code: 'console.log(2)', language: 'javascript' }] }, bearer(key));
    expect(answer.status).toBe(200);
    const [python, node] = answer.body.results;
    expect((await recordOf(t, python!.id)).job).toMatchObject({ kind: 'exec', owner: 'admin', name: 'exec python', state: 'completed', tags: ['exec', 'python'] });
    const nodeRecord = await recordOf(t, node!.id);
    expect(nodeRecord.job).toMatchObject({ kind: 'exec', owner: 'admin', name: 'exec node', state: 'completed', tags: ['exec', 'node'] });
    expect(nodeRecord.tasks.map((task) => task.exitCode)).toEqual([0]);
  });
});
