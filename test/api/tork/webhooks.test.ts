import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runJob, startTestServer, type TestServer } from '../../support/server.js';
import { specsAvailable, torkSchemaErrors } from '../../support/specs.js';

/** Tork's `TaskSummary` (task.go): what a task webhook is called with. */
const TASK_SUMMARY_FIELDS = ['id', 'jobId', 'position', 'progress', 'name', 'description', 'state', 'createdAt', 'scheduledAt', 'startedAt', 'completedAt', 'error', 'result', 'var', 'tags'];

interface Call {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, any>;
}

describe('Tork webhooks', () => {
  let t: TestServer;
  let receiver: Server;
  let receiverUrl: string;
  const calls: Call[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          response.writeHead(503).end();
          return;
        }
        calls.push({ path: request.url ?? '', headers: request.headers, body: JSON.parse(text) as Record<string, any> });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    t = await startTestServer('sqlite', { webhooks: { backoffMs: 20, attempts: 4 } });
  });

  afterAll(async () => {
    await t?.destroy();
    receiver?.close();
  });

  it('reports job progress as Tork computes it: tasks done plus the running task’s share, two decimals', async () => {
    calls.length = 0;
    const job = await runJob(
      t.url,
      `
name: three steps
webhooks:
  - url: ${receiverUrl}/progress
    event: job.Progress
tasks:
  - name: halfway
    run: echo 50 > $TORK_PROGRESS
  - name: b
    run: "true"
  - name: c
    run: "true"
`,
    );
    expect(job.state).toBe('COMPLETED');
    const progress = await eventually(async () => {
      const values = calls.filter((c) => c.path === '/progress' && c.body.id === job.id).map((c) => c.body.progress as number);
      return values.length >= 3 ? values : undefined;
    });
    // Calls may arrive in any order; the values are what matters.
    expect([...progress].sort((a, b) => a - b)).toEqual([16.67, 33.33, 66.67]);
  });

  it('calls a job’s webhook on its state changes, with headers, retrying failures', async () => {
    calls.length = 0;
    failuresLeft = 2;
    const job = await runJob(
      t.url,
      `
name: hooked
webhooks:
  - url: ${receiverUrl}/job
    headers:
      x-token: abc
    if: "{{ job.state == 'COMPLETED' }}"
tasks:
  - name: a
    run: "true"
`,
    );
    const call = await eventually(async () => calls.find((c) => c.body.id === job.id && c.body.state === 'COMPLETED'));
    expect(call.headers['x-token']).toBe('abc');
    expect(call.body).toMatchObject({ name: 'hooked', state: 'COMPLETED' });
    // Tork calls a job webhook with the job's summary, not the whole job.
    for (const field of ['tasks', 'execution', 'context', 'webhooks']) expect(call.body, field).not.toHaveProperty(field);
    if (specsAvailable) expect(torkSchemaErrors('tork.JobSummary', call.body)).toEqual([]);
    // Only the COMPLETED change passes the `if`.
    expect(calls.filter((c) => c.body.id === job.id)).toHaveLength(1);
  });

  it('calls task webhooks for task state changes', async () => {
    calls.length = 0;
    failuresLeft = 0;
    const job = await runJob(
      t.url,
      `
name: task hooks
webhooks:
  - url: ${receiverUrl}/task
    event: task.StateChange
tasks:
  - name: watched
    env:
      SOMETHING: in-env
    run: "true"
`,
    );
    const done = await eventually(async () => calls.find((c) => c.body.jobId === job.id && c.body.state === 'COMPLETED'));
    expect(calls.every((c) => c.body.name === 'watched')).toBe(true);
    // A task summary: no definition, so no environment, leaves in a webhook.
    expect(done.body).toMatchObject({ id: expect.any(String), position: 1, name: 'watched', state: 'COMPLETED' });
    expect(Object.keys(done.body).filter((key) => !TASK_SUMMARY_FIELDS.includes(key))).toEqual([]);
  });

  it('evaluates the url and header templates with the job’s context for each call', async () => {
    calls.length = 0;
    failuresLeft = 0;
    const job = await runJob(
      t.url,
      `
name: templated hook
inputs:
  who: gantry
secrets:
  key: hook-key-value
webhooks:
  - url: "${receiverUrl}/jobs/{{ job.id }}"
    headers:
      x-who: "{{ upper(inputs.who) }}"
      x-key: "{{ secrets.key }}"
    if: "{{ job.state == 'COMPLETED' }}"
tasks:
  - name: a
    run: "true"
`,
    );
    const call = await eventually(async () => calls.find((c) => c.body.id === job.id));
    expect(call.path).toBe(`/jobs/${job.id}`);
    expect(call.headers).toMatchObject({ 'x-who': 'GANTRY', 'x-key': 'hook-key-value' });
  });

  it('takes a bare if as an expression, as Tork does, and calls only when it is true', async () => {
    calls.length = 0;
    failuresLeft = 0;
    const job = await runJob(
      t.url,
      `
name: bare condition
webhooks:
  - url: ${receiverUrl}/bare
    if: "job.state == 'COMPLETED'"
  - url: ${receiverUrl}/not-boolean
    if: "job.name"
tasks:
  - name: a
    run: "true"
`,
    );
    await eventually(async () => calls.find((c) => c.body.id === job.id && c.body.state === 'COMPLETED'));
    expect(calls.filter((c) => c.body.id === job.id).map((c) => `${c.path} ${c.body.state}`)).toEqual(['/bare COMPLETED']);
  });

  it('never sends a secret value in a webhook body', async () => {
    calls.length = 0;
    failuresLeft = 0;
    const job = await runJob(
      t.url,
      `
name: secret in a task name
secrets:
  token: body-secret-value
webhooks:
  - url: ${receiverUrl}/task
    event: task.StateChange
  - url: ${receiverUrl}/job
tasks:
  - name: "deploy {{ secrets.token }}"
    var: out
    run: echo -n "got body-secret-value" > $TORK_OUTPUT
`,
    );
    const done = await eventually(async () => calls.find((c) => c.body.jobId === job.id && c.body.state === 'COMPLETED'));
    await eventually(async () => calls.find((c) => c.body.id === job.id && c.body.state === 'COMPLETED'));
    expect(done.body).toMatchObject({ name: 'deploy [REDACTED]', result: 'got [REDACTED]' });
    expect(JSON.stringify(calls)).not.toContain('body-secret-value');
  });

  it('calls a subjob’s webhook on the child’s own state changes, its if evaluated then', async () => {
    calls.length = 0;
    failuresLeft = 0;
    const job = await runJob(
      t.url,
      `
name: parent with a hooked child
inputs:
  where: sub
tasks:
  - name: child
    subjob:
      name: hooked child
      webhooks:
        - url: "${receiverUrl}/{{ inputs.where }}"
          if: "{{ job.state == 'COMPLETED' }}"
      tasks:
        - name: a
          run: "true"
`,
    );
    expect(job.state).toBe('COMPLETED');
    const call = await eventually(async () => calls.find((c) => c.body.name === 'hooked child'));
    const opener = job.execution.find((task: { name: string }) => task.name === 'child');
    expect(call).toMatchObject({ path: '/sub', body: { state: 'COMPLETED', parentId: opener.id } });
    expect(calls.filter((c) => c.body.name === 'hooked child')).toHaveLength(1);
  });
});
