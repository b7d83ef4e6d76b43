import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as jobsRepo from '../../src/store/jobs-repo.js';
import { openStore, type Store } from '../../src/store/open.js';
import * as taskLogsRepo from '../../src/store/task-logs-repo.js';
import * as tasksRepo from '../../src/store/tasks-repo.js';
import { newJob, newTask } from '../support/records.js';
import { createTestDatabase, STORES, type TestDatabase } from '../support/stores.js';

describe.each(STORES)('store on %s', (kind) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    store = await openStore({ database: database.database, dataDir: database.dataDir });
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('inserts jobs with increasing numeric ids and reads them back', async () => {
    const a = await jobsRepo.insert(store.db, newJob('first', 1000));
    const b = await jobsRepo.insert(store.db, newJob('second', 2000));
    expect(b.numId).toBeGreaterThan(a.numId);
    const read = await jobsRepo.get(store.db, a.id);
    expect(read).toEqual(a);
    expect(read?.secrets).toEqual({ token: 's3cret' });
  });

  it('pages jobs newest first and searches name, description and tags', async () => {
    for (let i = 0; i < 25; i++) await jobsRepo.insert(store.db, newJob(i % 2 ? `odd ${i}` : `even ${i}`, 1000 + i));
    const page = await jobsRepo.list(store.db, store.dialect, { page: 2, size: 10 });
    expect(page).toMatchObject({ number: 2, size: 10, totalPages: 3, totalItems: 25 });
    expect(page.items[0]!.name).toBe('even 14');
    const odd = await jobsRepo.list(store.db, store.dialect, { page: 1, size: 20, q: 'ODD' });
    expect(odd.totalItems).toBe(12);
    const none = await jobsRepo.list(store.db, store.dialect, { page: 1, size: 20, q: '100%' });
    expect(none.totalItems).toBe(0);
  });

  it('filters by tags as Tork does: any of the tags, each matched exactly', async () => {
    await jobsRepo.insert(store.db, { ...newJob('a', 1), tags: ['blue', 'big'] });
    await jobsRepo.insert(store.db, { ...newJob('b', 2), tags: ['green'] });
    await jobsRepo.insert(store.db, { ...newJob('c', 3), tags: ['bluegreen'] });
    const names = async (q: string): Promise<string[]> => (await jobsRepo.list(store.db, store.dialect, { page: 1, size: 20, q })).items.map((j) => j.name).sort();
    expect(await names('tag:blue')).toEqual(['a']);
    expect(await names('tags:blue,green')).toEqual(['a', 'b']);
    expect(await names('tags:blue,green green')).toEqual(['b']);
    expect(await names('tag:nothing')).toEqual([]);
    // A plain word still finds a tag's text.
    expect(await names('bluegreen')).toEqual(['c']);
  });

  it('guards updates by the expected state', async () => {
    const job = await jobsRepo.insert(store.db, newJob('guarded', 1));
    expect(await jobsRepo.update(store.db, job.id, 'pending', { state: 'scheduled', scheduledAt: 5 })).toBe(true);
    expect(await jobsRepo.update(store.db, job.id, 'pending', { state: 'running' })).toBe(false);
    expect((await jobsRepo.get(store.db, job.id))?.state).toBe('scheduled');
  });

  it('claims pending tasks by priority then age, each once', async () => {
    const job = await jobsRepo.insert(store.db, newJob('claims', 1));
    const low = newTask(job.id, { priority: 0, enqueuedAt: 1 });
    const high = newTask(job.id, { priority: 5, enqueuedAt: 3 });
    const older = newTask(job.id, { priority: 5, enqueuedAt: 2 });
    const otherQueue = newTask(job.id, { queue: 'gpu' });
    const later = newTask(job.id, { runAfter: Date.now() + 60_000 });
    await tasksRepo.insertMany(store.db, [low, high, older, otherQueue, later]);
    const now = Date.now();
    const first = await tasksRepo.claimForNode(store.db, store.dialect, { nodeId: 'n1', queues: ['default'], limit: 2, now });
    expect(first.map((t) => t.id)).toEqual([older.id, high.id]);
    expect(first.every((t) => t.state === 'scheduled' && t.nodeId === 'n1')).toBe(true);
    const second = await tasksRepo.claimForNode(store.db, store.dialect, { nodeId: 'n2', queues: ['default'], limit: 10, now });
    expect(second.map((t) => t.id)).toEqual([low.id]);
    expect(await tasksRepo.nextRunAfter(store.db, ['default'], now)).toBe(later.runAfter);
  });

  it('claims across several queues in one order: priority, then age', async () => {
    const job = await jobsRepo.insert(store.db, newJob('queues', 1));
    const shared = newTask(job.id, { queue: 'default', priority: 1, enqueuedAt: 5 });
    const privateOld = newTask(job.id, { queue: 'x-node', priority: 1, enqueuedAt: 4 });
    const privateUrgent = newTask(job.id, { queue: 'x-node', priority: 9, enqueuedAt: 9 });
    const sharedLate = newTask(job.id, { queue: 'default', priority: 0, enqueuedAt: 1 });
    await tasksRepo.insertMany(store.db, [shared, privateOld, privateUrgent, sharedLate]);
    const claimed = await tasksRepo.claimForNode(store.db, store.dialect, { nodeId: 'n1', queues: ['default', 'x-node'], limit: 3, now: Date.now() });
    expect(claimed.map((t) => t.id)).toEqual([privateUrgent.id, privateOld.id, shared.id]);
    const rest = await tasksRepo.claimForNode(store.db, store.dialect, { nodeId: 'n1', queues: ['default', 'x-node'], limit: 3, now: Date.now() });
    expect(rest.map((t) => t.id)).toEqual([sharedLate.id]);
  });

  it('hands every task to exactly one of many concurrent claimers', async () => {
    const job = await jobsRepo.insert(store.db, newJob('race', 1));
    await tasksRepo.insertMany(store.db, Array.from({ length: 60 }, (_, i) => newTask(job.id, { enqueuedAt: i })));
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => tasksRepo.claimForNode(store.db, store.dialect, { nodeId: `n${i}`, queues: ['default'], limit: 15, now })),
    );
    const ids = results.flat().map((t) => t.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });

  it('numbers log parts per task and pages them newest first', async () => {
    const job = await jobsRepo.insert(store.db, newJob('logs', 1));
    const task = newTask(job.id, {});
    await tasksRepo.insertMany(store.db, [task]);
    await taskLogsRepo.appendMany(store.db, [
      { taskId: task.id, jobId: job.id, contents: 'one\n', createdAt: 1 },
      { taskId: task.id, jobId: job.id, contents: 'two\n', createdAt: 2 },
    ]);
    await taskLogsRepo.appendMany(store.db, [{ taskId: task.id, jobId: job.id, contents: 'three\n', createdAt: 3 }]);
    const page = await taskLogsRepo.pageByTask(store.db, task.id, { page: 1, size: 2 });
    expect(page.items.map((p) => [p.number, p.contents])).toEqual([
      [3, 'three\n'],
      [2, 'two\n'],
    ]);
    expect(page.totalPages).toBe(2);
    const found = await taskLogsRepo.pageByJob(store.db, job.id, { page: 1, size: 10, q: 'TWO' });
    expect(found.items.map((p) => p.contents)).toEqual(['two\n']);
  });
});
