/**
 * The unit of work: reads by id from memory with the transaction's own changes,
 * changes written at the end in set-based statements, and the state guards
 * checked again in SQL so a row moved by another writer fails the flush.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGantryError } from '../../src/core/errors.js';
import * as jobsRepo from '../../src/store/jobs-repo.js';
import { openStore, type Store } from '../../src/store/open.js';
import * as taskLogsRepo from '../../src/store/task-logs-repo.js';
import * as tasksRepo from '../../src/store/tasks-repo.js';
import { UnitOfWork } from '../../src/store/unit-of-work.js';
import { newJob, newTask } from '../support/records.js';
import { createTestDatabase, STORES, type TestDatabase } from '../support/stores.js';

describe.each(STORES)('unit of work on %s', (kind) => {
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

  /** Runs `work` in a transaction with a unit of work, flushed before commit. */
  const inTransaction = <T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> =>
    store.db.transaction().execute(async (trx) => {
      const uow = new UnitOfWork(trx, store.dialect);
      const result = await work(uow);
      await uow.flush();
      return result;
    });

  it('writes many tasks and jobs, with different changed columns, in one flush', async () => {
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => jobsRepo.insert(store.db, { ...newJob(`j${i}`, i), state: 'scheduled' })));
    const tasks = jobs.map((job) => newTask(job.id, { state: 'scheduled', nodeId: 'n1' }));
    await tasksRepo.insertMany(store.db, tasks);
    await inTransaction(async (uow) => {
      await uow.loadTasks(tasks.map((t) => t.id));
      await uow.loadJobs(jobs.map((j) => j.id));
      tasks.forEach((task, i) => {
        expect(uow.updateTask(task.id, 'scheduled', { state: 'running', startedAt: 100 + i, backendId: `b${i}` })).toBe(true);
        // Every other task also finishes in the same transaction: its changes merge into one row update.
        if (i % 2 === 0) expect(uow.updateTask(task.id, 'running', { state: 'completed', completedAt: 200 + i, exitCode: 0, result: `out ${i}` })).toBe(true);
      });
      for (const job of jobs) expect(await uow.markJobRunning(job.id, ['scheduled'], 50)).toMatchObject({ state: 'running', startedAt: 50 });
      expect(uow.updateJob(jobs[0]!.id, 'running', { context: { tasks: { x: 'y' } }, progress: 40 })).toBe(true);
    });
    const stored = await tasksRepo.getMany(store.db, tasks.map((t) => t.id));
    for (const [i, task] of tasks.entries()) {
      const row = stored.find((t) => t.id === task.id)!;
      expect(row).toMatchObject(
        i % 2 === 0
          ? { state: 'completed', startedAt: 100 + i, backendId: `b${i}`, completedAt: 200 + i, exitCode: 0, result: `out ${i}` }
          : { state: 'running', startedAt: 100 + i, backendId: `b${i}`, completedAt: null, exitCode: null, result: null },
      );
      // Columns nobody changed keep their values.
      expect(row).toMatchObject({ nodeId: 'n1', runSpec: task.runSpec, definition: task.definition });
    }
    const first = await jobsRepo.get(store.db, jobs[0]!.id);
    expect(first).toMatchObject({ state: 'running', startedAt: 50, context: { tasks: { x: 'y' } }, progress: 40 });
    expect(await jobsRepo.get(store.db, jobs[1]!.id)).toMatchObject({ state: 'running', startedAt: 50, context: { tasks: {} }, progress: 0 });
  });

  it('answers reads by id with its own changes, and queries after writing them', async () => {
    const job = await jobsRepo.insert(store.db, newJob('reads', 1));
    const existing = newTask(job.id, { state: 'pending' });
    await tasksRepo.insertMany(store.db, [existing]);
    await inTransaction(async (uow) => {
      const added = newTask(job.id, { state: 'created', name: 'added' });
      uow.insertTasks([added]);
      // A change to a task inserted in this transaction goes into its insert.
      expect(uow.updateTask(added.id, 'created', { state: 'pending', runAfter: 7 })).toBe(true);
      expect(await uow.task(added.id)).toMatchObject({ state: 'pending', runAfter: 7 });
      await uow.task(existing.id);
      expect(uow.updateTask(existing.id, 'pending', { state: 'cancelled', completedAt: 9 })).toBe(true);
      // The guard is checked against what this transaction already changed.
      expect(uow.updateTask(existing.id, 'pending', { state: 'scheduled' })).toBe(false);
      const listed = await uow.tasksOfJob(job.id, ['pending', 'cancelled']);
      expect(listed.map((t) => [t.name, t.state]).sort()).toEqual([
        ['added', 'pending'],
        ['t', 'cancelled'],
      ]);
    });
    const stored = await tasksRepo.listByJob(store.db, job.id);
    expect(stored.map((t) => [t.name, t.state, t.runAfter])).toEqual([
      ['t', 'cancelled', existing.runAfter],
      ['added', 'pending', 7],
    ]);
  });

  it('keeps earlier values of a row when a later change leaves them undefined', async () => {
    const job = await jobsRepo.insert(store.db, { ...newJob('merge', 1), state: 'scheduled' });
    await inTransaction(async (uow) => {
      await uow.job(job.id);
      uow.updateJob(job.id, 'scheduled', { state: 'running', startedAt: 5, result: 'kept' });
      uow.updateJob(job.id, 'running', { state: 'completed', result: undefined, completedAt: 6 });
    });
    expect(await jobsRepo.get(store.db, job.id)).toMatchObject({ state: 'completed', startedAt: 5, result: 'kept', completedAt: 6 });
  });

  it('fails the flush with a conflict when another writer moved a row first, and commits nothing', async () => {
    const job = await jobsRepo.insert(store.db, { ...newJob('race', 1), state: 'scheduled' });
    const [a, b] = [newTask(job.id, { state: 'scheduled' }), newTask(job.id, { state: 'scheduled' })];
    await tasksRepo.insertMany(store.db, [a, b]);
    const attempt = inTransaction(async (uow) => {
      await uow.loadTasks([a.id, b.id]);
      uow.updateTask(a.id, 'scheduled', { state: 'running' });
      uow.updateTask(b.id, 'scheduled', { state: 'running' });
      // Meanwhile another writer cancels b. (Written past the unit of work: SQLite has one
      // connection, so a second transaction could not run now; the effect on the flush is the same.)
      await tasksRepo.update(uow.db, b.id, 'scheduled', { state: 'cancelled' });
    });
    const error = await attempt.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isGantryError(error) && error.code).toBe('conflict');
    expect((await tasksRepo.get(store.db, a.id))?.state).toBe('scheduled');
    // The whole transaction rolled back, the other writer's change with it.
    expect((await tasksRepo.get(store.db, b.id))?.state).toBe('scheduled');
  });

  it('numbers queued log parts after the stored ones and gives them their ids at the flush', async () => {
    const job = await jobsRepo.insert(store.db, newJob('logs', 1));
    const task = newTask(job.id, {});
    await tasksRepo.insertMany(store.db, [task]);
    await taskLogsRepo.appendMany(store.db, [{ taskId: task.id, jobId: job.id, contents: 'stored\n', createdAt: 1 }]);
    const parts = await inTransaction(async (uow) => {
      const queued = uow.appendLogs([
        { taskId: task.id, jobId: job.id, contents: 'a\n', createdAt: 2 },
        { taskId: task.id, jobId: job.id, contents: 'b\n', createdAt: 3 },
      ]);
      expect(queued.map((p) => p.id)).toEqual(['', '']);
      return queued;
    });
    expect(parts.map((p) => [p.number, p.contents])).toEqual([
      [2, 'a\n'],
      [3, 'b\n'],
    ]);
    const stored = await taskLogsRepo.pageByTask(store.db, task.id, { page: 1, size: 10 });
    expect(stored.items.map((p) => [p.id, p.number])).toEqual([...parts].reverse().map((p) => [p.id, p.number]).concat([[stored.items[2]!.id, 1]]));
  });
});
