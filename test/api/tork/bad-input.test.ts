import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestServer, yamlHeaders, type TestServer } from '../../support/server.js';
import { specsAvailable, torkSchemaErrors } from '../../support/specs.js';

/** Bad input of every kind gets a 4xx with a JSON `{"message"}` that says what and where. */
describe('Tork bad input', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { api: { bodyLimitBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const cases: Array<{ name: string; method?: string; path: string; body?: string | Uint8Array; headers?: Record<string, string>; status: number; message: RegExp }> = [
    // A bytes body: fetch adds no content type of its own.
    { name: 'missing content type', path: '/jobs', body: new TextEncoder().encode('name: x'), headers: {}, status: 400, message: /^missing content type$/ },
    { name: 'unknown content type', path: '/jobs', body: 'name: x', headers: { 'content-type': 'text/plain' }, status: 400, message: /^unknown content type: text\/plain$/ },
    { name: 'empty body', path: '/jobs', body: '', headers: yamlHeaders, status: 400, message: /empty|required/i },
    { name: 'malformed YAML', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n   run: b\n', headers: yamlHeaders, status: 400, message: /line \d+/ },
    { name: 'malformed JSON', path: '/jobs', body: '{"name": "x",\n "tasks": [}', headers: { 'content-type': 'application/json' }, status: 400, message: /line 2/ },
    { name: 'unknown field', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    rn: echo\n', headers: yamlHeaders, status: 400, message: /rn.*line 4|line 4.*rn/ },
    { name: 'missing name', path: '/jobs', body: 'tasks:\n  - run: echo\n', headers: yamlHeaders, status: 400, message: /name/ },
    { name: 'no tasks', path: '/jobs', body: 'name: x\n', headers: yamlHeaders, status: 400, message: /tasks/ },
    { name: 'bad expression', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    if: "{{ inputs.x == }}"\n    run: echo\n', headers: yamlHeaders, status: 400, message: /tasks\[0\]\.if/ },
    { name: 'bad duration', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    timeout: soon\n    run: echo\n', headers: yamlHeaders, status: 400, message: /timeout/ },
    { name: 'retry out of range', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    retry:\n      limit: 50\n    run: echo\n', headers: yamlHeaders, status: 400, message: /retry\.limit/ },
    { name: 'composite with run', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    run: echo\n    parallel:\n      tasks:\n        - name: b\n          run: echo\n', headers: yamlHeaders, status: 400, message: /parallel|run/ },
    { name: 'reserved queue', path: '/jobs', body: 'name: x\ntasks:\n  - name: a\n    queue: x-abc\n    run: echo\n', headers: yamlHeaders, status: 400, message: /queue/ },
    { name: 'oversized body', path: '/jobs', body: `name: x\ndescription: ${'y'.repeat(70 * 1024)}\ntasks:\n  - name: a\n    run: echo\n`, headers: yamlHeaders, status: 413, message: /^Request Entity Too Large: the body is larger than the limit of 64 KiB$/ },
    { name: 'unknown job', path: '/jobs/0123456789abcdef0123456789abcdef', status: 404, message: /^job not found$/ },
    { name: 'unknown task', path: '/tasks/nope', status: 404, message: /^task not found$/ },
    { name: 'unknown job log', path: '/jobs/nope/log', status: 404, message: /^job not found$/ },
    { name: 'cancel unknown job', method: 'PUT', path: '/jobs/nope/cancel', status: 404, message: /^job not found$/ },
    { name: 'unknown route', path: '/nothing/here', status: 404, message: /^Not Found$/ },
    { name: 'wrong method', method: 'DELETE', path: '/jobs', status: 405, message: /^Method Not Allowed$/ },
    { name: 'unknown queue', path: '/queues/no-such-queue', status: 404, message: /^queue no-such-queue not found$/ },
    // Tork checks the name first: a coordinator or private queue is refused even if it does not exist.
    { name: 'purge a coordinator queue', method: 'DELETE', path: '/queues/jobs', status: 400, message: /^queue jobs is not a task queue$/ },
    { name: 'purge an unknown private queue', method: 'DELETE', path: '/queues/x-gone', status: 400, message: /^queue x-gone is not a task queue$/ },
    { name: 'purge an unknown queue', method: 'DELETE', path: '/queues/no-such-queue', status: 404, message: /^queue no-such-queue not found$/ },
    // Past Go's int range strconv.Atoi fails, and Tork answers 404.
    { name: 'page number too large', path: '/jobs?page=99999999999999999999', status: 404, message: /^invalid page number: 9{20}$/ },
    { name: 'page size too large', path: '/scheduled-jobs?size=-99999999999999999999', status: 404, message: /^invalid size: -9{20}$/ },
    { name: 'log page not a number', path: '/tasks/nope/log?page=1.5', status: 404, message: /^invalid page number: 1\.5$/ },
    { name: 'unknown scheduled job', path: '/scheduled-jobs/nope', status: 404, message: /^scheduled job not found$/ },
    { name: 'scheduled job without schedule', path: '/scheduled-jobs', body: 'name: x\ntasks:\n  - name: a\n    run: echo\n', headers: yamlHeaders, status: 400, message: /schedule/ },
    { name: 'scheduled job with bad cron', path: '/scheduled-jobs', body: 'name: x\nschedule:\n  cron: "every day"\ntasks:\n  - name: a\n    run: echo\n', headers: yamlHeaders, status: 400, message: /cron/ },
  ];

  it.each(cases)('$name → $status', async ({ method, path, body, headers, status, message }) => {
    const response = await request<{ message: string }>(`${t.url}${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      body,
      headers,
    });
    expect(response.status).toBe(status);
    expect(Object.keys(response.body)).toEqual(['message']);
    expect(response.body.message).toMatch(message);
    expect(response.body.message).not.toMatch(/\n\s+at /);
    if (specsAvailable) expect(torkSchemaErrors('echo.HTTPError', response.body)).toEqual([]);
  });
});
