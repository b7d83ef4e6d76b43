import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { eventually, request, startTestServer, waitForJob, yamlHeaders, type TestServer } from '../../support/server.js';

const SCHEDULED = `
name: every minute
schedule:
  cron: "* * * * *"
tasks:
  - name: tick
    run: echo tick
`;

describe.each(STORES)('Tork scheduled jobs on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('creates, lists, pauses, resumes and deletes a scheduled job', async () => {
    const created = await request<Record<string, any>>(`${t.url}/scheduled-jobs`, { method: 'POST', body: SCHEDULED, headers: yamlHeaders });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'every minute', cron: '* * * * *', state: 'ACTIVE' });
    const id = created.body.id as string;

    const list = await request<Record<string, any>>(`${t.url}/scheduled-jobs`);
    expect(list.body.items.map((s: { id: string }) => s.id)).toContain(id);
    expect(await request(`${t.url}/scheduled-jobs/${id}`)).toMatchObject({ status: 200, body: { id, tasks: [{ name: 'tick' }] } });

    expect(await request(`${t.url}/scheduled-jobs/${id}/pause`, { method: 'PUT' })).toMatchObject({ status: 200, body: { status: 'OK' } });
    expect(await request(`${t.url}/scheduled-jobs/${id}/pause`, { method: 'PUT' })).toMatchObject({ status: 400, body: { message: 'scheduled job is not active' } });
    expect(await request(`${t.url}/scheduled-jobs/${id}`)).toMatchObject({ body: { state: 'PAUSED' } });
    expect(await request(`${t.url}/scheduled-jobs/${id}/resume`, { method: 'PUT' })).toMatchObject({ status: 200 });
    expect(await request(`${t.url}/scheduled-jobs/${id}/resume`, { method: 'PUT' })).toMatchObject({ status: 400, body: { message: 'scheduled job is not paused' } });
    expect(await request(`${t.url}/scheduled-jobs/${id}`, { method: 'DELETE' })).toMatchObject({ status: 200, body: { status: 'OK' } });
    expect(await request(`${t.url}/scheduled-jobs/${id}`)).toMatchObject({ status: 404 });
  });

  it('hides secrets, sensitive keys and registry passwords of a scheduled job', async () => {
    const created = await request<Record<string, any>>(`${t.url}/scheduled-jobs`, {
      method: 'POST',
      headers: yamlHeaders,
      body: `
name: hidden schedule
inputs:
  DB_PASSWORD: in-an-input
secrets:
  token: sch3dul3d
schedule:
  cron: "@hourly"
tasks:
  - name: a
    registry:
      username: me
      password: registry-pw
    env:
      API_SECRET: in-env
    run: echo sch3dul3d
`,
    });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const shown = (await request<Record<string, any>>(`${t.url}/scheduled-jobs/${id}`)).body;
    const listed = (await request<Record<string, any>>(`${t.url}/scheduled-jobs`)).body.items.find((s: { id: string }) => s.id === id);
    const cases: Array<[string, unknown, unknown]> = [
      ['created inputs', created.body.inputs, { DB_PASSWORD: '[REDACTED]' }],
      ['listed inputs', listed.inputs, { DB_PASSWORD: '[REDACTED]' }],
      ['secrets', shown.secrets, { token: '[REDACTED]' }],
      ['registry', shown.tasks[0].registry, { username: 'me', password: '[REDACTED]' }],
      ['env', shown.tasks[0].env, { API_SECRET: '[REDACTED]' }],
      ['secret values in scripts', shown.tasks[0].run, 'echo [REDACTED]'],
    ];
    for (const [what, actual, expected] of cases) expect(actual, what).toEqual(expected);
    await request(`${t.url}/scheduled-jobs/${id}`, { method: 'DELETE' });
  });

  it('submits the job when its time comes', async () => {
    const created = await request<Record<string, any>>(`${t.url}/scheduled-jobs`, { method: 'POST', body: SCHEDULED, headers: yamlHeaders });
    const id = created.body.id as string;
    // Make the schedule due now instead of waiting for the next minute.
    await t.server.core.store.db.updateTable('scheduled_jobs').set({ next_run_at: Date.now() - 1 }).where('id', '=', id).execute();
    await t.server.core.schedules.checkDue();
    const job = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs?q=every`);
      return body.items.find((j: Record<string, any>) => j.schedule?.id === id);
    });
    // Tork's JobSummary and Job carry the schedule they came from: {id, cron}.
    expect(job.schedule).toEqual({ id, cron: '* * * * *' });
    const ended = await waitForJob(t.url, job.id);
    expect(ended.state).toBe('COMPLETED');
    expect(ended.schedule).toEqual({ id, cron: '* * * * *' });
    const after = await request<Record<string, any>>(`${t.url}/scheduled-jobs/${id}`);
    expect(Date.parse(after.body.nextRunAt)).toBeGreaterThan(Date.now());
    await request(`${t.url}/scheduled-jobs/${id}`, { method: 'DELETE' });
  });
});
