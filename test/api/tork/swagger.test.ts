import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { eventually, request, runJob, startTestServer, waitForJob, yamlHeaders, type TestServer } from '../../support/server.js';
import { specsAvailable, torkSchemaErrors } from '../../support/specs.js';

/** A job with every kind of task, so that each shape of `tork.Task` is checked. */
const EVERY_KIND = `
name: every kind
description: all task kinds
tags: [swagger]
inputs:
  greeting: hello
defaults:
  timeout: 1m
webhooks:
  # Shown in the job, never called.
  - url: http://127.0.0.1:9/never
    event: job.StateChange
    if: "{{ job.state == 'NEVER' }}"
tasks:
  - name: simple
    var: simple
    image: alpine:3.18.3
    env:
      GREETING: "{{ inputs.greeting }}"
    retry:
      limit: 1
    limits:
      cpus: "1"
      memory: 64m
    mounts:
      - type: volume
        target: /data
    pre:
      - name: before
        run: echo pre
    post:
      - name: after
        run: echo post
    run: echo -n $GREETING > $TORK_OUTPUT
  - name: fan out
    parallel:
      tasks:
        - name: a
          run: echo a
        - name: b
          run: echo b
  - name: items
    each:
      list: "{{ sequence(1, 3) }}"
      task:
        name: item {{ item.index }}
        run: echo item
  - name: child
    subjob:
      name: the child
      tasks:
        - name: inner
          run: echo inner
`;

interface Case {
  route: string;
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  /** A definition of the swagger. */
  definition: string;
  /**
   * Where the instances are: the body itself, each element of an array, or each
   * item of a page. The swagger says a list of jobs or log parts is an array; Tork
   * answers a page (`items`, `number`, …), so the items are what is checked.
   */
  shape: 'object' | 'array' | 'page';
  /** A composite task writes no log of its own: its page may be empty. */
  mayBeEmpty?: boolean;
}

/** Every route of Tork's swagger, with the answers it documents, checked against its definitions. */
describe.skipIf(!specsAvailable).each(STORES)('Tork answers match the published swagger on %s', (kind) => {
  let t: TestServer;
  let cases: Case[];
  beforeAll(async () => {
    t = await startTestServer(kind);
    const job = await runJob(t.url, EVERY_KIND);
    expect(job.state).toBe('COMPLETED');
    const executions: Array<{ id: string; run?: string }> = job.execution;
    const subjobId = job.execution.find((task: { name: string }) => task.name === 'child').subjob.id as string;
    cases = [
      { route: 'GET /health', path: '/health', status: 200, definition: 'api.HealthResponse', shape: 'object' },
      { route: 'GET /jobs', path: '/jobs?size=20', status: 200, definition: 'tork.JobSummary', shape: 'page' },
      { route: 'GET /jobs?q', path: '/jobs?q=tag:swagger', status: 200, definition: 'tork.JobSummary', shape: 'page' },
      {
        route: 'POST /jobs (YAML)',
        method: 'POST',
        path: '/jobs',
        body: 'name: posted\ntasks:\n  - name: a\n    run: "true"\n',
        headers: yamlHeaders,
        status: 200,
        definition: 'tork.JobSummary',
        shape: 'object',
      },
      {
        route: 'POST /jobs (JSON)',
        method: 'POST',
        path: '/jobs',
        body: JSON.stringify({ name: 'posted json', tasks: [{ name: 'a', run: 'true' }] }),
        headers: { 'content-type': 'application/json' },
        status: 200,
        definition: 'tork.JobSummary',
        shape: 'object',
      },
      {
        route: 'POST /jobs with wait',
        method: 'POST',
        path: '/jobs',
        body: 'name: waited\nwait:\n  timeout: 20s\ntasks:\n  - name: a\n    run: echo waited\n',
        headers: yamlHeaders,
        status: 200,
        definition: 'tork.Job',
        shape: 'object',
      },
      { route: 'GET /jobs/{id}', path: `/jobs/${job.id}`, status: 200, definition: 'tork.Job', shape: 'object' },
      { route: 'GET /jobs/{id} of a subjob', path: `/jobs/${subjobId}`, status: 200, definition: 'tork.Job', shape: 'object' },
      { route: 'GET /jobs/{id} unknown', path: '/jobs/nope', status: 404, definition: 'echo.HTTPError', shape: 'object' },
      { route: 'GET /jobs/{id}/log', path: `/jobs/${job.id}/log?size=100`, status: 200, definition: 'tork.TaskLogPart', shape: 'page' },
      { route: 'PUT /jobs/{id}/cancel not running', method: 'PUT', path: `/jobs/${job.id}/cancel`, status: 400, definition: 'echo.HTTPError', shape: 'object' },
      { route: 'PUT /jobs/{id}/cancel unknown', method: 'PUT', path: '/jobs/nope/cancel', status: 404, definition: 'echo.HTTPError', shape: 'object' },
      { route: 'PUT /jobs/{id}/restart completed', method: 'PUT', path: `/jobs/${job.id}/restart`, status: 400, definition: 'echo.HTTPError', shape: 'object' },
      { route: 'PUT /jobs/{id}/restart unknown', method: 'PUT', path: '/jobs/nope/restart', status: 404, definition: 'echo.HTTPError', shape: 'object' },
      { route: 'GET /nodes', path: '/nodes', status: 200, definition: 'tork.Node', shape: 'array' },
      { route: 'GET /queues', path: '/queues', status: 200, definition: 'mq.QueueInfo', shape: 'array' },
      ...executions.flatMap(({ id, run }, index): Case[] => [
        { route: `GET /tasks/{id} (execution ${index})`, path: `/tasks/${id}`, status: 200, definition: 'tork.Task', shape: 'object' },
        {
          route: `GET /tasks/{id}/log (execution ${index})`,
          path: `/tasks/${id}/log?size=100`,
          status: 200,
          definition: 'tork.TaskLogPart',
          shape: 'page',
          mayBeEmpty: run === undefined,
        },
      ]),
    ];
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('answers every documented route with the documented shape', async () => {
    expect(cases.length).toBeGreaterThan(20);
    for (const { route, method, path, body, headers, status, definition, shape, mayBeEmpty } of cases) {
      const response = await request<any>(`${t.url}${path}`, { method, body, headers });
      expect(response.status, route).toBe(status);
      const instances: unknown[] = shape === 'object' ? [response.body] : shape === 'array' ? response.body : response.body.items;
      expect(Array.isArray(instances), route).toBe(true);
      if (shape !== 'object' && !mayBeEmpty) expect(instances.length, `${route} has items`).toBeGreaterThan(0);
      for (const instance of instances) expect(torkSchemaErrors(definition, instance), route).toEqual([]);
    }
  });

  it('answers cancel and restart with {"status":"OK"}, where the swagger says a bare string', async () => {
    const submitted = await request<{ id: string }>(`${t.url}/jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: 'name: to cancel\ntasks:\n  - name: a\n    run: sleep 30\n',
    });
    const id = submitted.body.id;
    const ok = { status: 200, body: { status: 'OK' } };
    expect(await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' })).toMatchObject(ok);
    expect((await waitForJob(t.url, id)).state).toBe('CANCELLED');
    expect(await request(`${t.url}/jobs/${id}/restart`, { method: 'PUT' })).toMatchObject(ok);
    // Restarted, it runs again; cancel it so the server can stop.
    await eventually(async () => ((await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' })).status === 200 ? true : undefined));
    expect((await waitForJob(t.url, id)).state).toBe('CANCELLED');
  });
});
