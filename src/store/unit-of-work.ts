import { GantryError } from '../core/errors.js';
import type { Job, Task, TaskLogPart } from '../core/model.js';
import type { JobState, TaskState } from '../core/states.js';
import type { Db, SqlDialect } from './dialect.js';
import * as jobsRepo from './jobs-repo.js';
import * as taskLogsRepo from './task-logs-repo.js';
import * as tasksRepo from './tasks-repo.js';

interface PendingUpdate<S, P> {
  /** The state the row had in the database when this transaction first changed it. */
  expected: S;
  patch: P;
}

/**
 * One transaction's jobs and tasks. Rows are read once and kept; changes are
 * kept in memory and written when the transaction ends, in a few set-based
 * statements (one per table and set of changed columns), so a batch of reports
 * about many jobs costs a handful of statements instead of several per job.
 *
 * Reads by id are answered from memory with this transaction's own changes
 * applied. Every other query (lists, claims, counters) first writes what is
 * pending, so the database always answers with those changes in it.
 *
 * Each update names the state the row must be in. Against memory that check is
 * exact within this transaction; the flush repeats it in SQL, so a row another
 * transaction moved meanwhile fails the flush with `conflict` and the writer
 * runs the whole section again on fresh reads.
 *
 * `db` stays available for tables this class does not track (nodes, queues).
 */
export class UnitOfWork {
  private readonly jobCache = new Map<string, Job>();
  private readonly taskCache = new Map<string, Task>();
  private readonly taskInserts = new Map<string, Task>();
  private readonly taskUpdates = new Map<string, PendingUpdate<TaskState, tasksRepo.TaskPatch>>();
  private readonly jobUpdates = new Map<string, PendingUpdate<JobState, jobsRepo.JobPatch>>();
  private readonly logs: Array<{ part: taskLogsRepo.NewLogPart; out: TaskLogPart }> = [];

  constructor(
    readonly db: Db,
    readonly dialect: SqlDialect,
  ) {}

  // ---- reads by id ------------------------------------------------------

  async job(id: string): Promise<Job | undefined> {
    const cached = this.jobCache.get(id);
    if (cached) return cached;
    const job = await jobsRepo.get(this.db, id);
    if (job) this.jobCache.set(id, job);
    return job;
  }

  /** Reads the jobs not yet in memory in one statement. */
  async loadJobs(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.jobCache.has(id));
    for (const job of await jobsRepo.getMany(this.db, missing)) this.jobCache.set(job.id, job);
  }

  async task(id: string): Promise<Task | undefined> {
    const cached = this.taskCache.get(id);
    if (cached) return cached;
    const task = await tasksRepo.get(this.db, id);
    if (task) this.taskCache.set(id, task);
    return task;
  }

  /** Reads the tasks not yet in memory in one statement. */
  async loadTasks(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.taskCache.has(id));
    for (const task of await tasksRepo.getMany(this.db, missing)) this.taskCache.set(task.id, task);
  }

  // ---- queries (written changes first) ----------------------------------

  async tasksOfJob(jobId: string, states: readonly TaskState[]): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.listByJobAndStates(this.db, jobId, states));
  }

  async childrenOf(parentId: string): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.listChildren(this.db, parentId));
  }

  async tasksOfNode(nodeId: string, states: readonly TaskState[]): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.listByNode(this.db, nodeId, states));
  }

  async tasksInStates(states: readonly TaskState[]): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.listByStates(this.db, states));
  }

  async pendingTasksInQueue(queue: string): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.listPendingInQueue(this.db, queue));
  }

  async claimForNode(args: { nodeId: string; queues: readonly string[]; limit: number; now: number }): Promise<Task[]> {
    await this.flush();
    return this.remember(await tasksRepo.claimForNode(this.db, this.dialect, args));
  }

  /** Adds one finished child to a composite in SQL (a counter, not a guarded state) and returns the new count. */
  async incrementCompletions(id: string): Promise<number> {
    await this.flush();
    const completions = await tasksRepo.incrementCompletions(this.db, id);
    const cached = this.taskCache.get(id);
    if (cached) this.taskCache.set(id, { ...cached, completions });
    return completions;
  }

  // ---- writes -------------------------------------------------------------

  /** Inserts at once: the database numbers jobs. */
  async insertJob(job: jobsRepo.NewJob): Promise<Job> {
    const inserted = await jobsRepo.insert(this.db, job);
    this.jobCache.set(inserted.id, inserted);
    return inserted;
  }

  insertTasks(tasks: readonly Task[]): void {
    for (const task of tasks) {
      this.taskInserts.set(task.id, task);
      this.taskCache.set(task.id, task);
    }
  }

  /** Applies `patch` if the task is in `expected` state now; false when it is not. */
  updateTask(id: string, expected: TaskState, patch: tasksRepo.TaskPatch): boolean {
    const current = this.taskCache.get(id);
    if (!current) throw new GantryError('internal', `task ${id} was changed without being read first`);
    if (current.state !== expected) return false;
    const next = { ...current, ...definedOnly(patch) };
    this.taskCache.set(id, next);
    if (this.taskInserts.has(id)) {
      this.taskInserts.set(id, next);
      return true;
    }
    const pending = this.taskUpdates.get(id);
    if (pending) pending.patch = { ...pending.patch, ...definedOnly(patch) };
    else this.taskUpdates.set(id, { expected, patch: definedOnly(patch) });
    return true;
  }

  /** Applies `patch` if the job is in `expected` state now; false when it is not. */
  updateJob(id: string, expected: JobState, patch: jobsRepo.JobPatch): boolean {
    const current = this.jobCache.get(id);
    if (!current) throw new GantryError('internal', `job ${id} was changed without being read first`);
    if (current.state !== expected) return false;
    this.jobCache.set(id, { ...current, ...definedOnly(patch) });
    const pending = this.jobUpdates.get(id);
    if (pending) pending.patch = { ...pending.patch, ...definedOnly(patch) };
    else this.jobUpdates.set(id, { expected, patch: definedOnly(patch) });
    return true;
  }

  /** Moves a job to `running` if it is in one of `from`; returns it as it is now, or undefined. */
  async markJobRunning(id: string, from: readonly JobState[], now: number): Promise<Job | undefined> {
    const job = await this.job(id);
    if (!job || !from.includes(job.state)) return undefined;
    this.updateJob(id, job.state, { state: 'running', startedAt: job.startedAt ?? now });
    return this.jobCache.get(id);
  }

  /**
   * Queues log parts for the end of the transaction. The returned parts get their
   * id and number when they are written, before anything about them is published.
   */
  appendLogs(parts: readonly taskLogsRepo.NewLogPart[]): TaskLogPart[] {
    return parts.map((part) => {
      const out: TaskLogPart = { id: '', taskId: part.taskId, jobId: part.jobId, number: 0, contents: part.contents, createdAt: part.createdAt };
      this.logs.push({ part, out });
      return out;
    });
  }

  hasPendingChanges(): boolean {
    return this.taskInserts.size + this.taskUpdates.size + this.jobUpdates.size + this.logs.length > 0;
  }

  /** Writes everything pending; fails with `conflict` when a row had moved on under a guard. */
  async flush(): Promise<void> {
    if (this.taskInserts.size > 0) {
      const inserts = [...this.taskInserts.values()];
      this.taskInserts.clear();
      await tasksRepo.insertMany(this.db, inserts);
    }
    if (this.taskUpdates.size > 0) {
      const updates = [...this.taskUpdates].map(([id, { expected, patch }]) => ({ id, expected, patch }));
      this.taskUpdates.clear();
      const matched = await tasksRepo.updateMany(this.db, this.dialect, updates);
      if (matched !== updates.length) throw new GantryError('conflict', 'a task changed while it was being updated');
    }
    if (this.jobUpdates.size > 0) {
      const updates = [...this.jobUpdates].map(([id, { expected, patch }]) => ({ id, expected, patch }));
      this.jobUpdates.clear();
      const matched = await jobsRepo.updateMany(this.db, this.dialect, updates);
      if (matched !== updates.length) throw new GantryError('conflict', 'a job changed while it was being updated');
    }
    if (this.logs.length > 0) {
      const logs = this.logs.splice(0);
      const written = await taskLogsRepo.appendMany(this.db, logs.map((log) => log.part));
      written.forEach((part, index) => Object.assign(logs[index]!.out, { id: part.id, number: part.number }));
    }
  }

  private remember(tasks: Task[]): Task[] {
    for (const task of tasks) this.taskCache.set(task.id, task);
    return tasks;
  }
}

/** A patch's keys that carry a value: `undefined` means "leave as it is", as in SQL. */
function definedOnly<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
