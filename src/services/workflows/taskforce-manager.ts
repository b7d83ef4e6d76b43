import { GantryError } from '../../core/errors.js';
import type { Principal } from '../../core/identity.js';
import { newId } from '../../core/ids.js';
import type { Task } from '../../core/model.js';
import { TERMINAL_TASK_STATES } from '../../core/states.js';
import { BUILT_IN_SCHEDD_PREFIX, pilotQueueOf, withPhaseChange, type PhaseChange, type TaskforceDoc, type TaskforcePhase } from '../../core/workflow.js';
import type { Store } from '../../store/open.js';
import * as workflowsRepo from '../../store/workflows-repo.js';
import type { UnitOfWork } from '../../store/unit-of-work.js';
import { CoalescedPasses } from '../coalesced-passes.js';
import type { EventBus } from '../event-bus.js';
import type { Writer } from '../writer.js';
import { pilotRunSpec } from './pilot-run-spec.js';
import type { QueueService } from './queue-service.js';
import type { QueueTokens } from './queue-tokens.js';
import { stopTask } from '../task-moves.js';

export interface TaskforceManagerOptions {
  tickMs: number;
  visibilityMs: number;
  /** The node binary pilots run with. */
  node: string;
  /** Gantry's URL as pilots reach it; known once the server listens. */
  serverUrl: () => string;
  onError: (error: unknown) => void;
}

/** What a pilot last said of itself. */
export interface PilotReport {
  state: string;
  /** Its task errors so far, by error text. */
  taskErrors: Record<string, number>;
}

/** How long after a failed activation of a workflow's queues it is tried again (EWMS's activator waits too). */
const ACTIVATION_RETRY_MS = 30_000;

/** HTCondor's words for where a worker is, which EWMS's compound statuses use. */
const CONDOR_STATUS: Record<string, string> = {
  created: 'IDLE',
  pending: 'IDLE',
  scheduled: 'IDLE',
  running: 'RUNNING',
  stopping: 'REMOVED',
  completed: 'COMPLETED',
  failed: 'COMPLETED',
  cancelled: 'REMOVED',
  skipped: 'REMOVED',
};

/**
 * Gantry's own side of EWMS's taskforce life cycle, for the locations of its
 * workers: activates a workflow's queues (pre-mq-activation → pre-launch),
 * releases taskforces (→ pending-starter), starts their pilots as tasks on the
 * location's nodes (→ condor-submit), stops them when the workflow ends
 * (pending-stopper → condor-rm), and marks a taskforce complete when its
 * pilots have all ended (→ condor-complete). Taskforces of other locations go
 * only through the first two steps; an outside TMS takes them from there.
 */
export class TaskforceManager {
  private readonly passes: CoalescedPasses;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly reports = new Map<string, PilotReport>();
  /** Workflows whose queues could not be made, and when to try again (each failure is logged once, not every pass). */
  private readonly activationRetries = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly queues: QueueService,
    private readonly tokens: QueueTokens,
    private readonly options: TaskforceManagerOptions,
  ) {
    this.passes = new CoalescedPasses(() => this.pass(), options.onError);
  }

  start(bus: EventBus): void {
    this.unsubscribe = bus.subscribe((event) => {
      if (event.type === 'task.state' && event.task.queue.startsWith('ewms@') && TERMINAL_TASK_STATES.has(event.to)) {
        this.released(event.task);
        this.wake();
      }
    });
    this.timer = setInterval(() => this.wake(), this.options.tickMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.passes.stop();
  }

  wake(): void {
    this.passes.wake();
  }

  /** A pilot's report of its state and task errors, folded into its taskforce's statuses on the next pass. */
  async report(principal: Principal, taskforceUuid: string, pilotId: string, report: PilotReport): Promise<void> {
    if (principal.via !== 'queue-token' && !principal.roles.includes('admin')) throw new GantryError('forbidden', "this route is for a workflow's pilots: present its queue token");
    const taskforce = await workflowsRepo.getTaskforce(this.store.db, taskforceUuid);
    // A queue token reaches its own workflow's taskforces only; others are not there for it.
    if (!taskforce || (principal.via === 'queue-token' && principal.workflowId !== taskforce.workflow_id)) throw new GantryError('not_found', `no taskforce found with uuid: ${taskforceUuid}`);
    this.reports.set(pilotId, report);
    this.wake();
  }

  /** A pilot ended: what it still held goes to the others now. */
  private released(task: Task): void {
    const queues = (task.definition as { inputQueues?: string[] } | null)?.inputQueues ?? [];
    this.queues.releasePilot(queues, task.id).catch((error: unknown) => this.options.onError(error));
  }

  private async pass(): Promise<void> {
    await this.activateQueues();
    for (const taskforce of await workflowsRepo.taskforcesInPhases(this.store.db, ['pre-launch'])) {
      await this.move(taskforce, { target_phase: 'pending-starter', was_successful: true, source_event_time: null, source_entity: 'Taskforce Launch Control', context: '' });
    }
    const own = (await workflowsRepo.taskforcesInPhases(this.store.db, ['pending-starter', 'condor-submit', 'pending-stopper', 'condor-rm'])).filter((taskforce) =>
      taskforce.schedd.startsWith(BUILT_IN_SCHEDD_PREFIX),
    );
    for (const taskforce of own) {
      if (taskforce.phase === 'pending-starter') await this.startPilots(taskforce);
      else if (taskforce.phase === 'pending-stopper') await this.stopPilots(taskforce);
      else await this.follow(taskforce);
    }
  }

  private async activateQueues(): Promise<void> {
    const waiting = await workflowsRepo.taskforcesInPhases(this.store.db, ['pre-mq-activation']);
    for (const workflowId of new Set(waiting.map((taskforce) => taskforce.workflow_id))) {
      if ((this.activationRetries.get(workflowId) ?? 0) > Date.now()) continue;
      try {
        await this.queues.activate(workflowId);
        this.activationRetries.delete(workflowId);
      } catch (error) {
        this.activationRetries.set(workflowId, Date.now() + ACTIVATION_RETRY_MS);
        for (const taskforce of waiting.filter((candidate) => candidate.workflow_id === workflowId)) {
          await this.move(taskforce, { target_phase: 'pre-launch', was_successful: false, source_event_time: null, source_entity: 'Workflow MQ Activator', context: `ERROR: ${(error as Error).message}` });
        }
        this.options.onError(error);
        continue;
      }
      for (const taskforce of waiting.filter((candidate) => candidate.workflow_id === workflowId)) {
        await this.move(taskforce, { target_phase: 'pre-launch', was_successful: true, source_event_time: null, source_entity: 'Workflow MQ Activator', context: '' });
      }
    }
  }

  /** Makes the taskforce's pilots, pending in its location's queue, and records the submission. */
  private async startPilots(taskforce: TaskforceDoc): Promise<void> {
    const directive = await workflowsRepo.getTaskDirective(this.store.db, taskforce.task_id);
    const workflow = await workflowsRepo.getWorkflow(this.store.db, taskforce.workflow_id);
    const seq = await workflowsRepo.taskforceSeq(this.store.db, taskforce.taskforce_uuid);
    if (!directive || !workflow || seq === undefined) return;
    const location = taskforce.schedd.slice(BUILT_IN_SCHEDD_PREFIX.length);
    const profiles = await this.queues.profilesOf(workflow.doc.workflow_id, [...new Set([...directive.input_queues, ...directive.output_queues])]);
    const workers = taskforce.n_workers ?? 1;
    await this.writer.run(
      async (uow, fx) => {
        const current = await workflowsRepo.getTaskforce(uow.db, taskforce.taskforce_uuid);
        if (current?.phase !== 'pending-starter') return;
        const job = await uow.job(workflow.jobId);
        if (!job || job.state !== 'running') return;
        const now = Date.now();
        const tasks: Task[] = [];
        for (let index = 0; index < workers; index++) {
          const id = newId();
          const runSpec = pilotRunSpec(
            directive,
            current,
            {
              pilotId: id,
              taskforceUuid: current.taskforce_uuid,
              server: this.options.serverUrl(),
              token: this.tokens.tokenOf(workflow.doc.workflow_id),
              inputQueues: directive.input_queues,
              outputQueues: directive.output_queues,
              profiles,
              taskArgs: directive.task_args,
              taskEnv: directive.task_env,
              visibilityMs: this.options.visibilityMs,
            },
            this.options.node,
          );
          tasks.push(pilotTask(id, job.id, current, directive.input_queues, index, runSpec, location, now));
        }
        uow.insertTasks(tasks);
        for (const task of tasks) fx.emit({ type: 'task.state', task, from: null, to: 'pending' });
        fx.wakeScheduler = true;
        const submitted: TaskforceDoc = {
          ...withPhaseChange(current, tmsChange('condor-submit', ''), now),
          cluster_id: seq,
          n_workers: workers,
          submit_dict: { location, queue: pilotQueueOf(location), request_cpus: current.worker_config.n_cores, request_memory: String(current.worker_config.worker_memory), job_id: job.id },
          job_event_log_fpath: `gantry:job/${job.id}`,
        };
        await workflowsRepo.updateTaskforce(uow.db, submitted, 'pending-starter');
      },
      [`workflow:${taskforce.workflow_id}`],
    );
  }

  private async stopPilots(taskforce: TaskforceDoc): Promise<void> {
    await this.writer.run(
      async (uow, fx) => {
        const current = await workflowsRepo.getTaskforce(uow.db, taskforce.taskforce_uuid);
        if (current?.phase !== 'pending-stopper' || current.cluster_id === null) return;
        const workflow = await workflowsRepo.getWorkflow(uow.db, current.workflow_id);
        if (!workflow) return;
        for (const task of await pilotsOf(uow, workflow.jobId, current.taskforce_uuid)) await stopTask(uow, fx, task, 'its workflow was deactivated');
        await workflowsRepo.updateTaskforce(uow.db, withPhaseChange(current, tmsChange('condor-rm', ''), Date.now()), 'pending-stopper');
      },
      [`workflow:${taskforce.workflow_id}`],
    );
  }

  /** Keeps a running taskforce's statuses current, and completes it once all its pilots have ended. */
  private async follow(taskforce: TaskforceDoc): Promise<void> {
    await this.writer.run(
      async (uow) => {
        const current = await workflowsRepo.getTaskforce(uow.db, taskforce.taskforce_uuid);
        if (!current || (current.phase !== 'condor-submit' && current.phase !== 'condor-rm')) return;
        const workflow = await workflowsRepo.getWorkflow(uow.db, current.workflow_id);
        if (!workflow) return;
        const pilots = await pilotsOf(uow, workflow.jobId, current.taskforce_uuid);
        const statuses: TaskforceDoc['compound_statuses'] = {};
        const errors: Record<string, number> = {};
        for (const pilot of pilots) {
          const report = this.reports.get(pilot.id);
          const status = CONDOR_STATUS[pilot.state] ?? 'IDLE';
          const state = report?.state ?? (pilot.state === 'failed' ? 'FatalError' : pilot.state === 'running' ? 'Starting' : 'None');
          statuses[status] = { ...statuses[status], [state]: (statuses[status]?.[state] ?? 0) + 1 };
          for (const [error, count] of Object.entries(report?.taskErrors ?? {})) errors[error] = (errors[error] ?? 0) + count;
          if (pilot.state === 'failed' && pilot.error) errors[`pilot: ${pilot.error}`] = (errors[`pilot: ${pilot.error}`] ?? 0) + 1;
        }
        let next: TaskforceDoc = { ...current, compound_statuses: statuses, top_task_errors: topErrors(errors) };
        const ended = pilots.length > 0 && pilots.every((pilot) => TERMINAL_TASK_STATES.has(pilot.state));
        if (ended) {
          const last = Math.max(...pilots.map((pilot) => pilot.completedAt ?? pilot.failedAt ?? Date.now()));
          next = withPhaseChange(next, { ...tmsChange('condor-complete', ''), source_event_time: Math.floor(last / 1000) }, Date.now());
          for (const pilot of pilots) this.reports.delete(pilot.id);
        }
        if (JSON.stringify(next) !== JSON.stringify(current)) await workflowsRepo.updateTaskforce(uow.db, next, current.phase);
      },
      [`workflow:${taskforce.workflow_id}`],
    );
  }

  private async move(taskforce: TaskforceDoc, change: Omit<PhaseChange, 'timestamp'>): Promise<void> {
    await this.writer.run(
      async (uow) => {
        const current = await workflowsRepo.getTaskforce(uow.db, taskforce.taskforce_uuid);
        if (current?.phase !== taskforce.phase) return;
        await workflowsRepo.updateTaskforce(uow.db, withPhaseChange(current, change, Date.now()), current.phase);
      },
      [`workflow:${taskforce.workflow_id}`],
    );
  }
}

function tmsChange(target: TaskforcePhase, context: string): Omit<PhaseChange, 'timestamp'> {
  return { target_phase: target, was_successful: true, source_event_time: null, source_entity: 'TMS', context };
}

/** The ten most frequent errors, as EWMS's TMS keeps them. */
function topErrors(errors: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(errors).sort((a, b) => b[1] - a[1]).slice(0, 10));
}

async function pilotsOf(uow: UnitOfWork, jobId: string, taskforceUuid: string): Promise<Task[]> {
  const tasks = await uow.tasksOfJob(jobId, ['created', 'pending', 'scheduled', 'running', 'stopping', 'completed', 'failed', 'cancelled']);
  return tasks.filter((task) => (task.definition as { taskforceUuid?: string } | null)?.taskforceUuid === taskforceUuid);
}

function pilotTask(id: string, jobId: string, taskforce: TaskforceDoc, inputQueues: string[], index: number, runSpec: Task['runSpec'], location: string, now: number): Task {
  return {
    id,
    jobId,
    parentId: null,
    position: 1,
    siblingIndex: index,
    kind: 'simple',
    name: `pilot ${index} of ${taskforce.taskforce_uuid}`,
    description: null,
    state: 'pending',
    definition: { taskforceUuid: taskforce.taskforce_uuid, inputQueues },
    runSpec,
    queue: pilotQueueOf(location),
    priority: taskforce.worker_config.priority,
    attempt: 1,
    retryLimit: 0,
    nodeId: null,
    backendId: null,
    exitCode: null,
    error: null,
    result: null,
    progress: 0,
    completions: 0,
    size: 0,
    subjobId: null,
    createdAt: now,
    enqueuedAt: now,
    runAfter: now,
    scheduledAt: null,
    startedAt: null,
    completedAt: null,
    failedAt: null,
  };
}
