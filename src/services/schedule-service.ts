import { CronExpressionParser } from 'cron-parser';
import { GantryError, invalidInput, notFound } from '../core/errors.js';
import { canActOn, canSee, seesEverything, type Principal } from '../core/identity.js';
import { newId } from '../core/ids.js';
import type { Page, ScheduledJob } from '../core/model.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { Store } from '../store/open.js';
import * as scheduledJobsRepo from '../store/scheduled-jobs-repo.js';
import type { JobService } from './job-service.js';

export function nextCronTime(cron: string, after: number): number {
  try {
    return CronExpressionParser.parse(cron, { currentDate: new Date(after) }).next().getTime();
  } catch (error) {
    throw invalidInput(`invalid cron expression "${cron}": ${(error as Error).message}`);
  }
}

/**
 * Jobs submitted on a cron schedule. The schedule lives in the store (next run
 * time included), so a restarted server carries on where it stopped; a run that
 * fell due while it was down starts once, not once per missed tick.
 */
export class ScheduleService {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly jobs: JobService,
    private readonly onError: (error: unknown, scheduleId: string) => void,
  ) {}

  async create(definition: PipelineDefinition, cron: string, owner: string): Promise<ScheduledJob> {
    const now = Date.now();
    const scheduled: ScheduledJob = {
      id: newId(),
      owner,
      name: definition.name,
      description: definition.description ?? null,
      cron,
      state: 'active',
      tags: definition.tags ?? [],
      definition,
      createdAt: now,
      nextRunAt: nextCronTime(cron, now),
      lastRunAt: null,
    };
    await scheduledJobsRepo.insert(this.store.db, scheduled);
    this.arm();
    return scheduled;
  }

  /** A scheduled job the actor may see (without an actor: any, for Gantry's own use). */
  async get(id: string, actor?: Principal): Promise<ScheduledJob> {
    const scheduled = await scheduledJobsRepo.get(this.store.db, id);
    if (!scheduled || (actor && !canSee(actor, scheduled.owner))) throw notFound('scheduled job not found');
    return scheduled;
  }

  list(query: { page: number; size: number; q?: string }, actor: Principal): Promise<Page<ScheduledJob>> {
    return scheduledJobsRepo.list(this.store.db, seesEverything(actor) ? query : { ...query, owner: actor.username });
  }

  /** A scheduled job the actor may change: its own, or any for an admin. */
  private async getToChange(id: string, actor: Principal): Promise<ScheduledJob> {
    const scheduled = await this.get(id, actor);
    if (!canActOn(actor, scheduled.owner)) throw new GantryError('forbidden', 'only the owner of a scheduled job or an admin may change it');
    return scheduled;
  }

  async pause(id: string, actor: Principal): Promise<void> {
    const scheduled = await this.getToChange(id, actor);
    if (scheduled.state !== 'active' || !(await scheduledJobsRepo.setState(this.store.db, id, 'active', 'paused', null))) {
      throw new GantryError('invalid_input', 'scheduled job is not active');
    }
  }

  async resume(id: string, actor: Principal): Promise<void> {
    const scheduled = await this.getToChange(id, actor);
    const next = nextCronTime(scheduled.cron, Date.now());
    if (scheduled.state !== 'paused' || !(await scheduledJobsRepo.setState(this.store.db, id, 'paused', 'active', next))) {
      throw new GantryError('invalid_input', 'scheduled job is not paused');
    }
    this.arm();
  }

  async remove(id: string, actor: Principal): Promise<void> {
    await this.getToChange(id, actor);
    if (!(await scheduledJobsRepo.remove(this.store.db, id))) throw notFound('scheduled job not found');
  }

  start(): void {
    this.arm();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** Checks once a second: cron has minute resolution, so this is never late by more than that. */
  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.checking = this.checkDue();
    }, 1_000);
    this.timer.unref();
  }

  async checkDue(): Promise<void> {
    const now = Date.now();
    for (const due of await scheduledJobsRepo.listDue(this.store.db, now)) {
      try {
        const next = nextCronTime(due.cron, now);
        if (!(await scheduledJobsRepo.markRun(this.store.db, due.id, due.nextRunAt!, now, next))) continue;
        await this.jobs.submitPipeline(due.definition as PipelineDefinition, { owner: due.owner, scheduledJobId: due.id });
      } catch (error) {
        this.onError(error, due.id);
      }
    }
  }
}
