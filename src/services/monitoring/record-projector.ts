import { hostname } from 'node:os';
import { MONITORING_ARCHIVED, MONITORING_RUNNING_OR_ARCHIVING, type JobRecord, type RecordState } from '../../core/job-record.js';
import type { Job } from '../../core/model.js';
import type { Store } from '../../store/open.js';
import * as recordsRepo from '../../store/records-repo.js';
import { CoalescedPasses } from '../coalesced-passes.js';
import type { EventBus } from '../event-bus.js';
import type { MetricService } from './metric-service.js';

export interface ProjectorOptions {
  /** This installation's cluster name. */
  cluster: string;
  everyMs: number;
  /** Metric samples older than this are removed; 0 keeps them. */
  retentionSeconds: number;
  onError(error: unknown): void;
}

/** Most jobs recorded in one pass. */
const BATCH = 1_000;

/**
 * Keeps a monitoring record of every job Gantry runs itself (pipelines,
 * applications, code snippets, workflows), so that ClusterCockpit's routes list
 * them beside the batch systems' jobs: its owner, its state in ClusterCockpit's
 * words, the nodes its tasks ran on, its times. Records follow the jobs'
 * states: woken by their changes, and on a timer that also catches what a
 * restart missed and removes old metric samples.
 */
export class RecordProjector {
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly passes: CoalescedPasses;
  private lastRetention = 0;
  /** Jobs up to this numeric id have a record (made on the first pass after a start, from 0). */
  private watermark = 0;

  constructor(
    private readonly store: Store,
    private readonly metrics: MetricService,
    private readonly options: ProjectorOptions,
  ) {
    this.passes = new CoalescedPasses(async () => {
      while ((await this.pass()) === BATCH);
      await this.retain();
    }, options.onError);
  }

  start(bus: EventBus): void {
    this.unsubscribe = bus.subscribe((event) => {
      if (event.type === 'job.state' && event.job.kind !== 'external' && event.job.parentJobId === null) this.soon();
    });
    this.timer = setInterval(() => this.wake(), this.options.everyMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.pending);
    await this.passes.stop();
  }

  /** A pass shortly: changes that come together share it. */
  private soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.wake();
    }, 50);
    this.pending.unref();
  }

  wake(): void {
    this.passes.wake();
  }

  /**
   * Records the jobs made since the last pass, and brings the records of jobs
   * that had not ended up to date. Returns how many new jobs it took (a full
   * batch: there may be more).
   */
  private async pass(): Promise<number> {
    const fresh = await recordsRepo.ownJobsAfter(this.store.db, this.watermark, BATCH);
    const open = await recordsRepo.jobsOfOpenRecords(this.store.db, this.options.cluster);
    const changed = open.filter(({ job, recordState }) => recordStateOf(job) !== recordState);
    const due = [...fresh, ...changed.map(({ job }) => ({ job, recorded: true }))];
    if (due.length > 0) {
      const hosts = await recordsRepo.hostsOfJobs(this.store.db, due.map((entry) => entry.job.id));
      await this.store.db.transaction().execute(async (trx) => {
        for (const { job, recorded } of due) await recordsRepo.save(trx, this.recordOf(job, hosts.get(job.id) ?? []), recorded);
      });
    }
    if (fresh.length > 0) this.watermark = fresh[fresh.length - 1]!.job.numId;
    return fresh.length;
  }

  private recordOf(job: Job, hosts: string[]): JobRecord {
    const startTime = Math.floor((job.startedAt ?? job.scheduledAt ?? job.createdAt) / 1000);
    const endedAt = job.completedAt ?? job.failedAt ?? job.cancelledAt;
    const state = recordStateOf(job);
    const resources = (hosts.length > 0 ? hosts : [hostname()]).map((host) => ({ hostname: host }));
    return {
      id: job.numId,
      jobRef: job.id,
      batchJobId: job.numId,
      user: job.owner,
      project: job.kind,
      cluster: this.options.cluster,
      subCluster: 'main',
      partition: job.queue,
      arrayJobId: null,
      numNodes: resources.length,
      numHwthreads: 0,
      numAcc: 0,
      shared: 'multi_user',
      walltime: 0,
      smt: null,
      submitTime: Math.floor(job.createdAt / 1000),
      startTime,
      duration: endedAt === null ? 0 : Math.max(0, Math.floor(endedAt / 1000) - startTime),
      state,
      monitoringStatus: state === 'completed' || state === 'failed' || state === 'cancelled' ? MONITORING_ARCHIVED : MONITORING_RUNNING_OR_ARCHIVING,
      requestedMemory: null,
      energy: null,
      resources,
      metaData: { jobName: job.name, gantryKind: job.kind, gantryId: job.id },
      footprint: null,
      energyFootprint: null,
    };
  }

  private async retain(): Promise<void> {
    const now = Date.now();
    if (this.options.retentionSeconds <= 0 || now - this.lastRetention < 60_000) return;
    this.lastRetention = now;
    await this.metrics.removeBefore(Math.floor(now / 1000) - this.options.retentionSeconds);
  }
}

/** A Gantry job's state in ClusterCockpit's words: waiting ones are `pending`. */
function recordStateOf(job: Job): RecordState {
  switch (job.state) {
    case 'pending':
    case 'scheduled':
      return 'pending';
    case 'running':
      return 'running';
    default:
      return job.state;
  }
}
