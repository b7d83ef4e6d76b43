import { GantryError, notFound } from '../core/errors.js';
import { canActOn, canSee, seesEverything, type Principal } from '../core/identity.js';
import type { Job, Page, Task, TaskLogPart } from '../core/model.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import { TERMINAL_JOB_STATES } from '../core/states.js';
import * as jobsRepo from '../store/jobs-repo.js';
import type { Store } from '../store/open.js';
import * as taskLogsRepo from '../store/task-logs-repo.js';
import * as tasksRepo from '../store/tasks-repo.js';
import type { EventBus } from './event-bus.js';
import type { PipelineEngine } from './pipeline/engine.js';
import type { Writer } from './writer.js';

export interface SubmitOptions {
  owner: string;
  scheduledJobId?: string;
}

/** The use cases on jobs that every dialect shares: submit, read, list, cancel, restart, logs. */
export class JobService {
  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly engine: PipelineEngine,
    private readonly bus: EventBus,
  ) {}

  async submitPipeline(definition: PipelineDefinition, options: SubmitOptions): Promise<Job> {
    return this.writer.run(async (uow, fx) => {
      const now = Date.now();
      const job = await this.engine.insertJob(uow, fx, {
        definition,
        owner: options.owner,
        now,
        scheduledJobId: options.scheduledJobId,
      });
      await this.engine.startJob(uow, fx, job, now);
      // Callers answer with the job as submitted (Tork answers PENDING).
      return job;
    });
  }

  /** A job the actor may see; another user's is not found, so its existence is not told either. */
  async get(id: string, actor: Principal): Promise<Job> {
    const job = await jobsRepo.get(this.store.db, id);
    if (!job || !canSee(actor, job.owner)) throw notFound('job not found');
    return job;
  }

  async getWithTasks(id: string, actor: Principal): Promise<{ job: Job; tasks: Task[] }> {
    const job = await this.get(id, actor);
    return { job, tasks: await tasksRepo.listByJob(this.store.db, id) };
  }

  /** Jobs the actor may see: its own, or everyone's for admin and support. */
  list(query: Omit<jobsRepo.JobListQuery, 'owner'>, actor: Principal): Promise<Page<Job>> {
    return jobsRepo.list(this.store.db, this.store.dialect, seesEverything(actor) ? query : { ...query, owner: actor.username });
  }

  async getTask(id: string, actor: Principal): Promise<{ task: Task; job: Job }> {
    const task = await tasksRepo.get(this.store.db, id);
    const job = task ? await jobsRepo.get(this.store.db, task.jobId) : undefined;
    if (!task || !job || !canSee(actor, job.owner)) throw notFound('task not found');
    return { task, job };
  }

  /** Cancels a scheduled or running job (Tork refuses other states with "job is not running"). */
  async cancel(id: string, actor: Principal): Promise<Job> {
    return this.writer.run(async (uow, fx) => {
      const job = await uow.job(id);
      if (!job || !canSee(actor, job.owner)) throw notFound('job not found');
      if (!canActOn(actor, job.owner)) throw new GantryError('forbidden', 'only the owner of a job or an admin may cancel it');
      if (job.state !== 'running' && job.state !== 'scheduled' && job.state !== 'pending') {
        throw new GantryError('invalid_input', 'job is not running');
      }
      await this.engine.cancelJob(uow, fx, job, Date.now());
      return (await uow.job(id))!;
    }, id);
  }

  /** Resumes a failed or cancelled job at the task where it stopped. */
  async restart(id: string, actor: Principal): Promise<Job> {
    return this.writer.run(async (uow, fx) => {
      const job = await uow.job(id);
      if (!job || !canSee(actor, job.owner)) throw notFound('job not found');
      if (!canActOn(actor, job.owner)) throw new GantryError('forbidden', 'only the owner of a job or an admin may restart it');
      if (job.state !== 'failed' && job.state !== 'cancelled') {
        throw new GantryError('invalid_input', `job is ${job.state.toUpperCase()} and can not be restarted`);
      }
      if (job.position > job.taskCount) throw new GantryError('invalid_input', 'job has no more tasks to run');
      await this.engine.restartJob(uow, fx, job, Date.now());
      return (await uow.job(id))!;
    }, id);
  }

  async jobLogs(id: string, query: taskLogsRepo.LogQuery, actor: Principal): Promise<Page<TaskLogPart>> {
    await this.get(id, actor);
    return taskLogsRepo.pageByJob(this.store.db, id, query);
  }

  async taskLogs(id: string, query: taskLogsRepo.LogQuery, actor: Principal): Promise<Page<TaskLogPart>> {
    await this.getTask(id, actor);
    return taskLogsRepo.pageByTask(this.store.db, id, query);
  }

  /**
   * Resolves with the job once it has ended, or rejects with `timeout` after
   * `timeoutMs`. Subscribes before reading so an end in between is not missed.
   */
  async waitForEnd(id: string, timeoutMs: number, actor: Principal, signal?: AbortSignal): Promise<Job> {
    return new Promise<Job>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const unsubscribe = this.bus.subscribe((event) => {
        if (event.type === 'job.state' && event.job.id === id && TERMINAL_JOB_STATES.has(event.to)) {
          finish(() => resolve(event.job));
        }
      });
      const timer = setTimeout(() => finish(() => reject(new GantryError('timeout', 'timeout waiting for job to complete'))), timeoutMs);
      const onAbort = (): void => finish(() => reject(new GantryError('unavailable', 'request aborted')));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.get(id, actor).then(
        (job) => {
          if (TERMINAL_JOB_STATES.has(job.state)) finish(() => resolve(job));
        },
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /**
   * Follows a job's log live: first the parts already stored, then new ones as they
   * are written, until the job ends. `onPart` is called in order.
   */
  async followLogs(
    id: string,
    onPart: (part: TaskLogPart) => void,
    signal: AbortSignal,
    actor: Principal,
  ): Promise<Job> {
    let lastId = 0;
    let backlogDone = false;
    const live: TaskLogPart[] = [];
    let ended: Job | undefined;
    let wake: (() => void) | undefined;
    const unsubscribe = this.bus.subscribe((event) => {
      if (event.type === 'task.log' && event.part.jobId === id) live.push(event.part);
      else if (event.type === 'job.state' && event.job.id === id && TERMINAL_JOB_STATES.has(event.to)) ended = event.job;
      else return;
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      const job = await this.get(id, actor);
      if (TERMINAL_JOB_STATES.has(job.state)) ended = job;
      // Backlog from the store, oldest first, in pages.
      for (;;) {
        const parts = await taskLogsRepo.listByJobAfter(this.store.db, id, lastId, 500);
        for (const part of parts) {
          onPart(part);
          lastId = Number(part.id);
        }
        if (parts.length < 500) break;
      }
      backlogDone = true;
      while (!signal.aborted) {
        while (live.length > 0) {
          const part = live.shift()!;
          if (backlogDone && Number(part.id) > lastId) {
            onPart(part);
            lastId = Number(part.id);
          }
        }
        if (ended) return ended;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      return ended ?? (await this.get(id, actor));
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  async counts(): Promise<{ jobsRunning: number; tasksRunning: number }> {
    const [jobsRunning, tasksRunning] = await Promise.all([
      jobsRepo.countByState(this.store.db, 'running'),
      tasksRepo.countByState(this.store.db, 'running'),
    ]);
    return { jobsRunning, tasksRunning };
  }
}
