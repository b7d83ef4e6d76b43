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
    expect((await waitForJob(t.url, job.id)).state).toBe('COMPLETED');
    const after = await request<Record<string, any>>(`${t.url}/scheduled-jobs/${id}`);
    expect(Date.parse(after.body.nextRunAt)).toBeGreaterThan(Date.now());
    await request(`${t.url}/scheduled-jobs/${id}`, { method: 'DELETE' });
  });
});
