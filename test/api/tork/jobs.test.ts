import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { eventually, request, runJob, startTestServer, waitForJob, yamlHeaders, type TestServer } from '../../support/server.js';
import { specsAvailable, torkSchemaErrors } from '../../support/specs.js';

const HELLO = `
name: hello job
description: says hello
tags: [greeting, demo]
tasks:
  - name: say hello
    image: ubuntu:mantic
    run: echo hello world
`;

describe.each(STORES)('Tork jobs on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('accepts a YAML job, answers PENDING, runs it and records its logs', async () => {
    const submitted = await request<Record<string, any>>(`${t.url}/jobs`, { method: 'POST', body: HELLO, headers: yamlHeaders });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ name: 'hello job', state: 'PENDING', position: 1, taskCount: 1, tags: ['greeting', 'demo'] });
    expect(submitted.body.id).toMatch(/^[0-9a-f]{32}$/);
    if (specsAvailable) expect(torkSchemaErrors('tork.JobSummary', submitted.body)).toEqual([]);

    const job = await waitForJob(t.url, submitted.body.id);
    expect(job.state).toBe('COMPLETED');
    expect(job.tasks).toEqual([{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo hello world' }]);
    expect(job.execution).toHaveLength(1);
    const execution = job.execution[0];
    expect(execution).toMatchObject({ jobId: job.id, position: 1, name: 'say hello', state: 'COMPLETED', queue: 'default', image: 'ubuntu:mantic' });
    expect(execution.nodeId).toEqual(expect.any(String));
    for (const field of ['createdAt', 'scheduledAt', 'startedAt', 'completedAt']) {
      expect(Date.parse(execution[field])).not.toBeNaN();
    }
    if (specsAvailable) expect(torkSchemaErrors('tork.Job', job)).toEqual([]);

    const log = await request<Record<string, any>>(`${t.url}/jobs/${job.id}/log`);
    expect(log.status).toBe(200);
    const text = log.body.items.map((part: { contents: string }) => part.contents).join('');
    expect(text).toContain('hello world\n');
    // Where no root file system is configured for an image, the log says so once.
    expect(text.match(/ubuntu:mantic/g)).toHaveLength(1);
    if (specsAvailable) for (const part of log.body.items) expect(torkSchemaErrors('tork.TaskLogPart', part)).toEqual([]);

    const taskLog = await request<Record<string, any>>(`${t.url}/tasks/${execution.id}/log?size=50`);
    expect(taskLog.body.totalItems).toBe(log.body.totalItems);
    const task = await request<Record<string, any>>(`${t.url}/tasks/${execution.id}`);
    expect(task.body).toMatchObject({ id: execution.id, state: 'COMPLETED' });
    if (specsAvailable) expect(torkSchemaErrors('tork.Task', task.body)).toEqual([]);
  });

  it('accepts JSON submissions too', async () => {
    const body = JSON.stringify({ name: 'json job', tasks: [{ name: 'a', run: 'echo from json' }] });
    const submitted = await request<{ id: string }>(`${t.url}/jobs`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(submitted.status).toBe(200);
    expect((await waitForJob(t.url, submitted.body.id)).state).toBe('COMPLETED');
  });

  it('stores task outputs under var and evaluates the job output', async () => {
    const job = await runJob(
      t.url,
      `
name: output job
inputs:
  greeting: hello
output: "{{ inputs.greeting }} {{ tasks.number }}"
tasks:
  - name: produce
    var: number
    run: echo -n 42 > $TORK_OUTPUT
`,
    );
    expect(job.state).toBe('COMPLETED');
    expect(job.result).toBe('hello 42');
    expect(job.execution[0].result).toBe('42');
    expect(job.context.tasks).toEqual({ number: '42' });
  });

  it('fails the job with the exit code when a task fails, after its retries', async () => {
    const job = await runJob(
      t.url,
      `
name: failing job
tasks:
  - name: flaky
    run: echo attempt; exit 3
    retry:
      limit: 2
  - name: never runs
    run: echo nope
`,
    );
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/3/);
    expect(job.execution).toHaveLength(1);
    expect(job.execution[0]).toMatchObject({ state: 'FAILED', retry: { limit: 2, attempts: 2 } });
    const log = await request<Record<string, any>>(`${t.url}/tasks/${job.execution[0].id}/log`);
    const attempts = log.body.items.map((p: { contents: string }) => p.contents).join('').match(/attempt/g);
    expect(attempts).toHaveLength(3);
  });

  it('kills a task at its timeout', async () => {
    const job = await runJob(t.url, `
name: slow job
tasks:
  - name: sleepy
    run: sleep 30
    timeout: 1s
`);
    expect(job.state).toBe('FAILED');
    expect(job.execution[0].error).toMatch(/time/i);
  });

  it('skips a task whose if is false', async () => {
    const job = await runJob(t.url, `
name: conditional
inputs:
  run: "false"
tasks:
  - name: maybe
    if: "{{ inputs.run == 'true' }}"
    run: echo ran
  - name: always
    run: echo always
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.execution.map((task: { state: string }) => task.state)).toEqual(['SKIPPED', 'COMPLETED']);
  });

  it('never echoes secrets back, in the job or in logs', async () => {
    const job = await runJob(t.url, `
name: secret job
secrets:
  token: sup3rs3cret
tasks:
  - name: use it
    env:
      TOKEN: "{{ secrets.token }}"
    run: echo token is $TOKEN
`);
    expect(job.state).toBe('COMPLETED');
    expect(JSON.stringify(job)).not.toContain('sup3rs3cret');
    expect(job.secrets).toEqual({ token: '[REDACTED]' });
    const log = await request(`${t.url}/jobs/${job.id}/log`);
    expect(JSON.stringify(log.body)).not.toContain('sup3rs3cret');
    expect(JSON.stringify(log.body)).toContain('token is [REDACTED]');
  });

  it('waits for the job when the submission asks to', async () => {
    const submitted = await request<Record<string, any>>(`${t.url}/jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: 'name: waited\nwait:\n  timeout: 20s\ntasks:\n  - name: quick\n    run: echo done\n',
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ name: 'waited', state: 'COMPLETED' });
    expect(submitted.body.execution).toHaveLength(1);
  });

  it('answers 408 when a waited job outlives its timeout', async () => {
    const submitted = await request<Record<string, any>>(`${t.url}/jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: 'name: waited too long\nwait:\n  timeout: 300ms\ntasks:\n  - name: slow\n    run: sleep 5\n',
    });
    expect(submitted.status).toBe(408);
    expect(submitted.body).toEqual({ message: 'timeout waiting for job to complete' });
  });

  it('cancels a running job, kills its task, and restarts it', async () => {
    const submitted = await request<{ id: string }>(`${t.url}/jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: 'name: long\ntasks:\n  - name: sleeper\n    run: sleep 60\n',
    });
    const id = submitted.body.id;
    await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${id}`);
      return body.execution?.[0]?.state === 'RUNNING' ? true : undefined;
    });
    expect(await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' })).toMatchObject({ status: 200, body: { status: 'OK' } });
    const cancelled = await waitForJob(t.url, id);
    expect(cancelled.state).toBe('CANCELLED');
    await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${id}`);
      return body.execution[0].state === 'CANCELLED' ? true : undefined;
    });
    expect(await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' })).toMatchObject({ status: 400, body: { message: 'job is not running' } });

    expect(await request(`${t.url}/jobs/${id}/restart`, { method: 'PUT' })).toMatchObject({ status: 200, body: { status: 'OK' } });
    await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${id}`);
      return body.state === 'RUNNING' && body.execution.length === 2 ? true : undefined;
    });
    await request(`${t.url}/jobs/${id}/cancel`, { method: 'PUT' });
    expect((await waitForJob(t.url, id)).state).toBe('CANCELLED');
  });

  it('refuses to restart a completed job with Tork’s message', async () => {
    const job = await runJob(t.url, 'name: done\ntasks:\n  - name: quick\n    run: "true"\n');
    expect(await request(`${t.url}/jobs/${job.id}/restart`, { method: 'PUT' })).toMatchObject({
      status: 400,
      body: { message: 'job is COMPLETED and can not be restarted' },
    });
  });

  it('leaves out zero values as Tork does, and fills the context and output of the full job', async () => {
    const submitted = await request<Record<string, any>>(`${t.url}/jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: 'name: shapes\noutput: "{{ tasks.v }}"\ntasks:\n  - name: a\n    var: v\n    retry:\n      limit: 1\n    run: echo -n 7 > $TORK_OUTPUT\n',
    });
    const job = await waitForJob(t.url, submitted.body.id);
    const listed = (await request<Record<string, any>>(`${t.url}/jobs?q=shapes`)).body.items[0];
    const cases: Array<[string, unknown, unknown]> = [
      ['a PENDING summary has no progress', submitted.body.progress, undefined],
      ['a summary always has a position', submitted.body.position, 1],
      ['a summary has no output', listed.output, undefined],
      ['the full job has the output expression', job.output, '{{ tasks.v }}'],
      ['the full job has the result', job.result, '7'],
      ['the context names the job', job.context.job, { id: job.id, name: 'shapes' }],
      ['the context leaves out empty maps', Object.keys(job.context).sort(), ['job', 'tasks']],
      ['a task of priority 0 has no priority', job.execution[0].priority, undefined],
      ['a task not retried has no attempts', job.execution[0].retry, { limit: 1 }],
    ];
    for (const [what, actual, expected] of cases) expect(actual, what).toEqual(expected);
  });

  it('hides what Tork hides: sensitive keys, registry passwords and secret values', async () => {
    const job = await runJob(t.url, `
name: hidden
inputs:
  plain: visible
  API_SECRET: in-an-input
secrets:
  token: sup3rs3cret
webhooks:
  - url: http://127.0.0.1:9/hook
    headers:
      X-Client-Secret: in-a-header
      X-Plain: plain-header
tasks:
  - name: first
    var: DB_PASSWORD
    registry:
      username: me
      password: registry-pw
    env:
      MY_PASSWORD: in-env
      AWS_ACCESS_KEY_ID: key-id
      NORMAL: "x{{ secrets.token }}"
    pre:
      - name: before
        env:
          pre_secret: in-a-pre-task
        run: "true"
    run: echo -n out > $TORK_OUTPUT
  - name: child
    subjob:
      name: child job
      secrets:
        inner: child-secret
      tasks:
        - name: inner
          run: "true"
`);
    expect(job.state).toBe('COMPLETED');
    const [first] = job.execution;
    const task = (await request<Record<string, any>>(`${t.url}/tasks/${first.id}`)).body;
    const listed = (await request<Record<string, any>>(`${t.url}/jobs?q=hidden`)).body.items[0];
    const cases: Array<[string, unknown, unknown]> = [
      ['job inputs', job.inputs, { plain: 'visible', API_SECRET: '[REDACTED]' }],
      ['listed job inputs', listed.inputs, { plain: 'visible', API_SECRET: '[REDACTED]' }],
      ['context inputs', job.context.inputs, { plain: 'visible', API_SECRET: '[REDACTED]' }],
      ['context secrets', job.context.secrets, { token: '[REDACTED]' }],
      ['context task results under a sensitive var', job.context.tasks, { DB_PASSWORD: '[REDACTED]' }],
      ['webhook headers', job.webhooks[0].headers, { 'X-Client-Secret': '[REDACTED]', 'X-Plain': 'plain-header' }],
      ['definition registry', job.tasks[0].registry, { username: 'me', password: '[REDACTED]' }],
      ['definition env', job.tasks[0].env, { MY_PASSWORD: '[REDACTED]', AWS_ACCESS_KEY_ID: '[REDACTED]', NORMAL: 'x{{ secrets.token }}' }],
      ['definition pre task env', job.tasks[0].pre[0].env, { pre_secret: '[REDACTED]' }],
      ['definition subjob secrets', job.tasks[1].subjob.secrets, { inner: '[REDACTED]' }],
      ['execution registry', first.registry, { username: 'me', password: '[REDACTED]' }],
      ['execution env', first.env, { MY_PASSWORD: '[REDACTED]', AWS_ACCESS_KEY_ID: '[REDACTED]', NORMAL: 'x[REDACTED]' }],
      ['GET /tasks/{id} registry', task.registry, { username: 'me', password: '[REDACTED]' }],
      ['GET /tasks/{id} env', task.env, first.env],
      ['execution subjob secrets', job.execution.find((e: { name: string }) => e.name === 'child').subjob.secrets, { inner: '[REDACTED]' }],
    ];
    for (const [what, actual, expected] of cases) expect(actual, what).toEqual(expected);
    const text = JSON.stringify([job, task, listed]);
    for (const value of ['in-an-input', 'sup3rs3cret', 'in-a-header', 'registry-pw', 'in-env', 'key-id', 'in-a-pre-task', 'child-secret']) {
      expect(text, value).not.toContain(value);
    }
  });

  it('lists jobs newest first with paging and full-text search', async () => {
    const marker = `needle${Date.now()}`;
    await runJob(t.url, `name: ${marker} one\ntasks:\n  - name: a\n    run: "true"\n`);
    await runJob(t.url, `name: other\ndescription: has ${marker} inside\ntasks:\n  - name: a\n    run: "true"\n`);
    const found = await request<Record<string, any>>(`${t.url}/jobs?q=${marker}`);
    expect(found.status).toBe(200);
    expect(found.body.items.map((j: { name: string }) => j.name)).toEqual(['other', `${marker} one`]);
    expect(found.body).toMatchObject({ number: 1, size: 2, totalPages: 1, totalItems: 2 });
    const clamped = await request<Record<string, any>>(`${t.url}/jobs?size=100`);
    expect(clamped.body.items.length).toBeLessThanOrEqual(20);
    const second = await request<Record<string, any>>(`${t.url}/jobs?page=2&size=1`);
    expect(second.body.number).toBe(2);
    expect(second.body.size).toBe(1);
    // Go's strconv.Atoi takes a leading sign; a page past the last one is empty, however far.
    expect((await request<Record<string, any>>(`${t.url}/jobs?page=%2B2&size=1`)).body).toMatchObject({ number: 2, size: 1 });
    const far = await request<Record<string, any>>(`${t.url}/jobs?page=9007199254740991`);
    expect(far).toMatchObject({ status: 200, body: { items: [], size: 0 } });
    expect(await request(`${t.url}/jobs?page=abc`)).toMatchObject({ status: 404, body: { message: 'invalid page number: abc' } });
    expect(await request(`${t.url}/jobs?size=x`)).toMatchObject({ status: 404, body: { message: 'invalid size: x' } });
  });
});
