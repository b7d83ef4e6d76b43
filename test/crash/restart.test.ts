import { afterEach, describe, expect, it } from 'vitest';
import { eventually, request, waitForJob, yamlHeaders } from '../support/server.js';
import { spawnServer, type ServerProcess } from '../support/process-server.js';
import { createTestDatabase, STORES, type TestDatabase } from '../support/stores.js';

async function submit(url: string, yaml: string): Promise<string> {
  const { status, body } = await request<{ id: string }>(`${url}/jobs`, { method: 'POST', body: yaml, headers: yamlHeaders });
  expect(status).toBe(200);
  return body.id;
}

async function taskState(url: string, id: string): Promise<string | undefined> {
  const { body } = await request<Record<string, any>>(`${url}/jobs/${id}`);
  return body.execution?.[0]?.state;
}

describe.each(STORES)('nothing is lost across restarts (%s)', (kind) => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;

  afterEach(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    server = undefined;
    await database?.drop();
    database = undefined;
  });

  function args(db: TestDatabase): string[] {
    return ['--data', db.dataDir, ...(db.database ? ['--database', db.database] : [])];
  }

  it('finds every job after SIGKILL: running tasks retried or failed, queued ones run', async () => {
    database = await createTestDatabase(kind);
    const env = { GANTRY_WORKER_MAX_TASKS: '2', GANTRY_LOG_LEVEL: 'info' };
    server = await spawnServer(args(database), env);
    const retried = await submit(server.url, 'name: retried\ntasks:\n  - name: long\n    run: sleep 60\n    retry:\n      limit: 1\n');
    const lost = await submit(server.url, 'name: no retry\ntasks:\n  - name: long\n    run: sleep 60\n');
    const queued = await submit(server.url, 'name: queued\ntasks:\n  - name: quick\n    run: echo ran after restart\n');
    await eventually(async () => ((await taskState(server!.url, retried)) === 'RUNNING' && (await taskState(server!.url, lost)) === 'RUNNING' ? true : undefined));
    expect(await taskState(server.url, queued)).toBe('PENDING');

    server.child.kill('SIGKILL');
    await server.exited;
    server = await spawnServer(args(database), env);

    const failed = await waitForJob(server.url, lost);
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(/server restarted/);
    expect((await waitForJob(server.url, queued)).state).toBe('COMPLETED');
    const again = await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${server!.url}/jobs/${retried}`);
      return body.execution[0].state === 'RUNNING' && body.execution[0].retry?.attempts === 1 ? body : undefined;
    });
    expect(again.state).toBe('RUNNING');
    expect(again.execution[0].error).toMatch(/server restarted/);
    const list = await request<Record<string, any>>(`${server.url}/jobs?size=20`);
    expect(list.body.items.map((j: { id: string }) => j.id)).toEqual(expect.arrayContaining([retried, lost, queued]));
  });

  it('drains on SIGTERM: a task that finishes within the grace period completes', async () => {
    database = await createTestDatabase(kind);
    server = await spawnServer(args(database), { GANTRY_SHUTDOWN_GRACE_MS: '10000' });
    const id = await submit(server.url, 'name: drained\ntasks:\n  - name: short\n    run: sleep 1; echo finished\n');
    await eventually(async () => ((await taskState(server!.url, id)) === 'RUNNING' ? true : undefined));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await spawnServer(args(database));
    const job = await waitForJob(server.url, id);
    expect(job.state).toBe('COMPLETED');
  });

  it('drains on SIGTERM: a task still running at the end of the grace period runs again after restart', async () => {
    database = await createTestDatabase(kind);
    server = await spawnServer(args(database), { GANTRY_SHUTDOWN_GRACE_MS: '500' });
    const id = await submit(server.url, 'name: interrupted\ntasks:\n  - name: long\n    run: sleep 60\n');
    await eventually(async () => ((await taskState(server!.url, id)) === 'RUNNING' ? true : undefined));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await spawnServer(args(database));
    await eventually(async () => ((await taskState(server!.url, id)) === 'RUNNING' ? true : undefined));
    await request(`${server.url}/jobs/${id}/cancel`, { method: 'PUT' });
    expect((await waitForJob(server.url, id)).state).toBe('CANCELLED');
  });
});
