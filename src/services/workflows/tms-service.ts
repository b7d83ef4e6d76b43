import { GantryError } from '../../core/errors.js';
import { failedAttempts, withPhaseChange, type PhaseChange, type TaskDirectiveDoc, type TaskforceDoc, type TaskforcePhase } from '../../core/workflow.js';
import type { Store } from '../../store/open.js';
import * as workflowsRepo from '../../store/workflows-repo.js';
import type { Writer } from '../writer.js';
import type { QueueService, MqProfile } from './queue-service.js';

/** What a TMS reports when it has submitted a taskforce's cluster. */
export interface CondorSubmission {
  cluster_id: number;
  n_workers: number;
  submit_dict: Record<string, string | number>;
  job_event_log_fpath: string;
}

export interface StatusReports {
  top_task_errors_by_taskforce?: Record<string, Record<string, number>>;
  compound_statuses_by_taskforce?: Record<string, Record<string, Record<string, number>>>;
}

export interface StatusResult {
  uuid: string;
  status: 'updated' | 'failed';
  error?: string;
}

/** EWMS's TMS_ACTION_RETRIES: a taskforce that failed to start (or stop) this many times more is no longer offered. */
const ACTION_RETRIES = 2;

/**
 * The side of EWMS that task management services talk to: which taskforce to
 * start or stop next at a schedd, and what became of it. Gantry's own
 * taskforce manager goes through the same moves for its workers' locations.
 * Every call is safe to repeat (clients replay POSTs on 5xx).
 */
export class TmsService {
  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly queues: QueueService,
  ) {}

  /** The next taskforce to start at `schedd`: highest priority, fewest failed submissions, oldest. */
  async pendingStarter(schedd: string): Promise<{ taskforce: TaskforceDoc; task_directive: TaskDirectiveDoc; mqprofiles: MqProfile[] } | undefined> {
    const candidates = (await workflowsRepo.taskforcesInPhases(this.store.db, ['pending-starter'], schedd)).filter((taskforce) => failedAttempts(taskforce, 'condor-submit') <= ACTION_RETRIES);
    candidates.sort((a, b) => b.priority - a.priority || failedAttempts(a, 'condor-submit') - failedAttempts(b, 'condor-submit') || a.timestamp - b.timestamp);
    const taskforce = candidates[0];
    if (!taskforce) return undefined;
    const directive = await workflowsRepo.getTaskDirective(this.store.db, taskforce.task_id);
    if (!directive) throw new GantryError('internal', `taskforce ${taskforce.taskforce_uuid} has no task directive`);
    const mqprofiles = await this.queues.profilesOf(directive.workflow_id, [...new Set([...directive.input_queues, ...directive.output_queues])]);
    return { taskforce, task_directive: directive, mqprofiles };
  }

  /** The next taskforce to stop at `schedd` whose cluster was submitted, oldest first. */
  async pendingStopper(schedd: string): Promise<TaskforceDoc | undefined> {
    const candidates = (await workflowsRepo.taskforcesInPhases(this.store.db, ['pending-stopper'], schedd)).filter(
      (taskforce) => taskforce.cluster_id !== null && failedAttempts(taskforce, 'condor-rm') <= ACTION_RETRIES,
    );
    candidates.sort((a, b) => a.timestamp - b.timestamp);
    return candidates[0];
  }

  async condorSubmitted(taskforceUuid: string, submission: CondorSubmission): Promise<void> {
    await this.change(taskforceUuid, (taskforce, now) => {
      if (taskforce.phase === 'condor-submit' && taskforce.cluster_id === submission.cluster_id) return undefined;
      if (taskforce.phase !== 'pending-starter') throw notFound(taskforceUuid, "'pending-starter' ");
      return { ...withPhaseChange(taskforce, tmsChange('condor-submit', true, ''), now), ...submission };
    });
  }

  async condorSubmitFailed(taskforceUuid: string, error: string): Promise<void> {
    await this.change(taskforceUuid, (taskforce, now) => {
      if (taskforce.phase !== 'pending-starter') throw notFound(taskforceUuid, "'pending-starter' ");
      return withPhaseChange(taskforce, tmsChange('condor-submit', false, `ERROR: ${error}`), now);
    });
  }

  async condorRemoved(taskforceUuid: string): Promise<void> {
    await this.change(taskforceUuid, (taskforce, now) => (taskforce.phase === 'condor-rm' ? undefined : withPhaseChange(taskforce, tmsChange('condor-rm', true, ''), now)));
  }

  async condorRemoveFailed(taskforceUuid: string, error: string): Promise<void> {
    await this.change(taskforceUuid, (taskforce, now) => withPhaseChange(taskforce, tmsChange('condor-rm', false, `ERROR: ${error}`), now));
  }

  async condorCompleted(taskforceUuid: string, completedAt: number): Promise<void> {
    await this.change(taskforceUuid, (taskforce, now) => {
      if (taskforce.phase === 'condor-complete') return undefined;
      return withPhaseChange(taskforce, { ...tmsChange('condor-complete', true, ''), source_event_time: completedAt }, now);
    });
  }

  /** Sets the reported statuses and errors of each taskforce named; unknown ones are reported back as failed. */
  async reportStatuses(reports: StatusReports): Promise<StatusResult[]> {
    const errors = reports.top_task_errors_by_taskforce ?? {};
    const statuses = reports.compound_statuses_by_taskforce ?? {};
    const uuids = [...new Set([...Object.keys(errors), ...Object.keys(statuses)])];
    const missing: string[] = [];
    for (const uuid of uuids) {
      try {
        await this.change(uuid, (taskforce) => ({
          ...taskforce,
          ...(uuid in errors ? { top_task_errors: errors[uuid]! } : {}),
          ...(uuid in statuses ? { compound_statuses: statuses[uuid]! } : {}),
        }));
      } catch (error) {
        if (error instanceof GantryError && error.code === 'not_found') missing.push(uuid);
        else throw error;
      }
    }
    return [
      ...missing.map((uuid): StatusResult => ({ uuid, status: 'failed', error: 'no taskforce found with uuid' })),
      ...uuids.filter((uuid) => !missing.includes(uuid)).map((uuid): StatusResult => ({ uuid, status: 'updated' })),
    ];
  }

  /** Applies `next` to the taskforce in one transaction; `undefined` from it means nothing to change (a replay). */
  async change(taskforceUuid: string, next: (taskforce: TaskforceDoc, now: number) => TaskforceDoc | undefined): Promise<TaskforceDoc> {
    const taskforce = await workflowsRepo.getTaskforce(this.store.db, taskforceUuid);
    if (!taskforce) throw notFound(taskforceUuid, '');
    return this.writer.run(
      async (uow) => {
        const current = await workflowsRepo.getTaskforce(uow.db, taskforceUuid);
        if (!current) throw notFound(taskforceUuid, '');
        const changed = next(current, Date.now());
        if (!changed) return current;
        if (!(await workflowsRepo.updateTaskforce(uow.db, changed, current.phase))) throw new GantryError('conflict', `taskforce ${taskforceUuid} changed while it was being updated`);
        return changed;
      },
      [`workflow:${taskforce.workflow_id}`],
    );
  }
}

function tmsChange(target: TaskforcePhase, ok: boolean, context: string): Omit<PhaseChange, 'timestamp'> {
  return { target_phase: target, was_successful: ok, source_event_time: null, source_entity: 'TMS', context };
}

function notFound(taskforceUuid: string, adjective: string): GantryError {
  return new GantryError('not_found', `no ${adjective}taskforce found with uuid: ${taskforceUuid}`);
}
