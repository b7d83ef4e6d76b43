/**
 * What a busy pool does (a bounded queue, then 503 with Retry-After) and how
 * long exec records keep their code and output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as execRepo from '../../../src/store/exec-repo.js';
import * as jobsRepo from '../../../src/store/jobs-repo.js';
import { STORES } from '../../support/stores.js';
import { request, startTestServer, type TestServer } from '../../support/server.js';

const json = { 'content-type': 'application/json' };

describe('a busy pool', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer('sqlite', { exec: { enabled: true, spares: { python: 2, node: 1 }, maxRunning: 1, queueLength: 1, queueTimeoutMs: 1_000 } });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const run = (code: string, timeout = 10) =>
    request<Record<string, any>>(`${t.url}/v1/exec`, { method: 'POST', headers: json, body: JSON.stringify({ code, timeout_seconds: timeout }) });

  it('runs one, queues one, and refuses the next at once with 503 and Retry-After', async () => {
    const running = run('import time\ntime.sleep(1.5)\nprint("first")');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const queued = run('print("second")');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const refused = await run('print("third")');
    expect(Date.now() - started).toBeLessThan(500);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/^all 1 python sandboxes are busy and 1 snippets are waiting/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await running).body.stdout).toBe('first\n');
    // The queued one waited past its 1 s in the queue: refused too, not left hanging.
    const second = await queued;
    expect(second.status).toBe(503);
    expect(second.body.error).toMatch(/no python sandbox became free within 1s/);
    // Free again: runs.
    expect((await run('print("fourth")')).body.stdout).toBe('fourth\n');
  });

  it('answers a batch item its pool cannot take as a failed result, the others run', async () => {
    const busy = run('import time\ntime.sleep(1.5)');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await request<{ results: Array<Record<string, any>> }>(`${t.url}/v1/exec/batch`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ executions: [{ code: 'print(1)' }, { code: 'print(2)' }, { code: 'console.log(3)', language: 'node' }] }),
    });
    expect(answer.status).toBe(200);
    const [first, second, third] = answer.body.results;
    // One waits in the queue (and gets its turn or its second runs out), one is refused at once; node has its own pool.
    expect([first!.exit_code, second!.exit_code].filter((code) => code === -1).length).toBeGreaterThanOrEqual(1);
    expect([first!.stderr, second!.stderr].some((text: string) => /busy|became free/.test(text))).toBe(true);
    expect(third).toMatchObject({ stdout: '3\n', exit_code: 0 });
    expect((await busy).status).toBe(200);
  });
});

describe.each(STORES)('exec records on %s', (kind) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('forget the code and output of all but the newest, keeping owner, state and exit code', async () => {
    const { db, dialect } = t.server.core.store;
    const now = Date.now();
    const records = Array.from({ length: 5 }, (_, i) => {
      const id = `exec${i}${'0'.repeat(20)}`.slice(0, 32);
      return {
        job: {
          id,
          kind: 'exec' as const,
          owner: 'alice',
          name: 'exec python',
          description: null,
          state: 'completed' as const,
          priority: 0,
          queue: 'exec',
          tags: ['exec', 'python'],
          definition: { code: `print(${i})` },
          inputs: {},
          secrets: {},
          context: { tasks: {} },
          position: 1,
          taskCount: 1,
          result: JSON.stringify({ stdout: `${i}\n`, stderr: '' }),
          error: null,
          progress: 100,
          parentJobId: null,
          parentTaskId: null,
          scheduledJobId: null,
          createdAt: now + i,
          scheduledAt: now + i,
          startedAt: now + i,
          completedAt: now + i + 1,
          failedAt: null,
          cancelledAt: null,
        },
        task: {
          id: `task${i}${'0'.repeat(20)}`.slice(0, 32),
          jobId: id,
          parentId: null,
          position: 1,
          siblingIndex: 0,
          kind: 'simple' as const,
          name: 'python',
          description: null,
          state: 'completed' as const,
          definition: { language: 'python' },
          runSpec: null,
          queue: 'exec',
          priority: 0,
          attempt: 1,
          retryLimit: 0,
          nodeId: null,
          backendId: null,
          exitCode: 0,
          error: null,
          result: null,
          progress: 100,
          completions: 0,
          size: 0,
          subjobId: null,
          createdAt: now + i,
          enqueuedAt: now + i,
          runAfter: now + i,
          scheduledAt: now + i,
          startedAt: now + i,
          completedAt: now + i + 1,
          failedAt: null,
        },
      };
    });
    await execRepo.insertExecRecords(db, records);
    expect(await execRepo.forgetOldExecOutputs(db, 2)).toBe(3);
    // Nothing more to cut the second time.
    expect(await execRepo.forgetOldExecOutputs(db, 2)).toBe(0);
    const stored = (await jobsRepo.list(db, dialect, { page: 1, size: 10, kind: 'exec' })).items.sort((a, b) => a.createdAt - b.createdAt);
    expect(stored).toHaveLength(5);
    expect(stored.map((job) => job.definition)).toEqual([{}, {}, {}, { code: 'print(3)' }, { code: 'print(4)' }]);
    expect(stored.map((job) => job.result === null)).toEqual([true, true, true, false, false]);
    for (const job of stored) expect(job).toMatchObject({ owner: 'alice', state: 'completed', kind: 'exec' });
  });
});
