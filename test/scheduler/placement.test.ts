import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { eventually, request, startTestServer, waitForJob, yamlHeaders, type TestServer } from '../support/server.js';

async function submit(url: string, yaml: string): Promise<string> {
  const { body } = await request<{ id: string }>(`${url}/jobs`, { method: 'POST', body: yaml, headers: yamlHeaders });
  return body.id;
}

describe.each(STORES)('placement on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { worker: { maxTasks: 1 } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('runs one task at a time on a one-slot node, highest priority first, then oldest', async () => {
    const blocker = await submit(t.url, 'name: blocker\ntasks:\n  - name: hold\n    run: sleep 1\n');
    await eventually(async () => {
      const { body } = await request<Record<string, any>>(`${t.url}/jobs/${blocker}`);
      return body.execution?.[0]?.state === 'RUNNING' ? true : undefined;
    });
    const lowOld = await submit(t.url, 'name: low old\ntasks:\n  - name: a\n    priority: 1\n    run: "true"\n');
    const lowNew = await submit(t.url, 'name: low new\ntasks:\n  - name: a\n    priority: 1\n    run: "true"\n');
    const high = await submit(t.url, 'name: high\ntasks:\n  - name: a\n    priority: 9\n    run: "true"\n');
    const started = async (id: string): Promise<number> => Date.parse((await waitForJob(t.url, id)).execution[0].startedAt);
    const [tBlockerEnd, tLowOld, tLowNew, tHigh] = [
      Date.parse((await waitForJob(t.url, blocker)).completedAt),
      await started(lowOld),
      await started(lowNew),
      await started(high),
    ];
    expect(tHigh).toBeGreaterThanOrEqual(tBlockerEnd);
    expect(tHigh).toBeLessThan(tLowOld);
    expect(tLowOld).toBeLessThan(tLowNew);
  });
});
