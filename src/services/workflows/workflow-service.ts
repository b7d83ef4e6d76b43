import { createHash, randomBytes } from 'node:crypto';
import { GantryError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { actsOnEverything, seesEverything, type Principal } from '../../core/identity.js';
import {
  BUILT_IN_SCHEDD_PREFIX,
  ENDING_PHASES,
  newTaskforceUuid,
  newTaskId,
  newWorkflowId,
  withPhaseChange,
  type Deactivation,
  type PilotConfig,
  type TaskDirectiveDoc,
  type TaskforceDoc,
  type WorkerConfig,
  type WorkflowCollection,
  type WorkflowDoc,
} from '../../core/workflow.js';
import { assertJobTransition } from '../../core/states.js';
import { findDocs, type DocPage } from '../../store/doc-query.js';
import * as mqQueuesRepo from '../../store/mq-queues-repo.js';
import * as nodesRepo from '../../store/nodes-repo.js';
import type { Store } from '../../store/open.js';
import * as workflowsRepo from '../../store/workflows-repo.js';
import type { Effects } from '../effects.js';
import type { Writer } from '../writer.js';
import { memoryBytesOf } from './pilot-run-spec.js';
import type { AddWorkersRequest, TaskRequest, WorkflowRequest } from './workflow-request.js';

export interface WorkflowSettings {
  /** Locations served by a task management service outside Gantry, with the schedd each polls for. */
  externalLocations: Record<string, { schedd: string }>;
  /** The location of the in-process worker, when there is one (known before it registers). */
  localLocation: string | undefined;
  queryPageRows: number;
  replaySeconds: number;
}

export interface CreatedWorkflow {
  workflow: WorkflowDoc;
  task_directives: TaskDirectiveDoc[];
  taskforces: TaskforceDoc[];
}

const DEFAULT_PRIORITY = 50;
/** EWMS adds this to an added taskforce's priority, so that it starts ahead of the rest. */
const MAX_PRIORITY = 100;
/** Pilot settings that the task directive's own fields set; EWMS refuses them in `pilot_config.environment`. */
const RESERVED_PILOT_ENV = ['EWMS_PILOT_TASK_IMAGE', 'EWMS_PILOT_TASK_ARGS', 'EWMS_PILOT_TASK_ENV_JSON', 'EWMS_PILOT_INIT_IMAGE', 'EWMS_PILOT_INIT_ARGS', 'EWMS_PILOT_INIT_ENV_JSON'];
const QUERY_PAGE_BYTES = 10 * 1024 * 1024;

const hex8 = (): string => randomBytes(4).toString('hex');

/**
 * Event workflows: making them (with their task directives, taskforces and
 * queues), reading and querying them, adding workers, and ending them. The
 * taskforces' phases move on from here in the taskforce manager and the TMS
 * routes.
 */
export class WorkflowService {
  /** Told when there is work for the taskforce manager (a taskforce made or to be stopped). */
  onChange: () => void = () => undefined;
  /** Told when a workflow ended, to withdraw its queue credential. */
  onDeactivated: (workflowId: string) => Promise<void> = async () => undefined;

  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly settings: WorkflowSettings,
  ) {}

  async create(principal: Principal, request: WorkflowRequest, replayKey: string): Promise<CreatedWorkflow> {
    checkTasks(request.tasks);
    const aliases = queueAliasesOf(request);
    const locations = await this.knownLocations();
    for (const task of request.tasks) {
      for (const location of task.cluster_locations) {
        if (!locations.has(location)) throw new GantryError('invalid_input', `condor cluster location not found: ${location}`);
      }
    }
    const owner = principal.username;
    const digest = digestOf(replayKey);
    const created = await this.writer.run(async (uow, fx) => {
      const now = Date.now();
      const replayed = await workflowsRepo.workflowOfRequest(uow.db, owner, digest, now - this.settings.replaySeconds * 1000);
      if (replayed) return createdAnswer(uow.db, replayed.doc.workflow_id);
      const workflow: WorkflowDoc = {
        workflow_id: newWorkflowId(now, hex8),
        timestamp: now / 1000,
        priority: request.priority ?? DEFAULT_PRIORITY,
        deactivated: null,
        deactivated_ts: null,
      };
      const queueIds = new Map([...aliases].map((alias) => [alias, `MQ-${workflow.workflow_id.replace(/^WF-/, '')}-${hex8()}`]));
      const directives: TaskDirectiveDoc[] = [];
      const taskforces: TaskforceDoc[] = [];
      for (const task of request.tasks) {
        const directive = directiveOf(workflow.workflow_id, task, queueIds, now);
        directives.push(directive);
        for (const location of task.cluster_locations) {
          taskforces.push(
            this.taskforceOf(directive, workflow.priority, location, pilotConfigOf(task.pilot_config), task.worker_config, task.n_workers ?? 1, 'USER', 'Created during initial workflow request.', now),
          );
        }
      }
      const job = await uow.insertJob({
        id: newId(),
        kind: 'workflow',
        owner,
        name: workflow.workflow_id,
        description: null,
        state: 'running',
        priority: workflow.priority,
        queue: 'ewms',
        tags: [],
        definition: { workflowId: workflow.workflow_id },
        inputs: {},
        secrets: {},
        context: { tasks: {} },
        position: 1,
        taskCount: 0,
        result: null,
        error: null,
        progress: 0,
        parentJobId: null,
        parentTaskId: null,
        scheduledJobId: null,
        createdAt: now,
        scheduledAt: now,
        startedAt: now,
        completedAt: null,
        failedAt: null,
        cancelledAt: null,
      });
      fx.emit({ type: 'job.state', job, from: null, to: 'running' });
      await workflowsRepo.insertWorkflow(uow.db, { doc: workflow, jobId: job.id, ownerId: owner }, digest, now, directives, taskforces);
      const publicAliases = new Set(request.public_queue_aliases);
      await mqQueuesRepo.insertMany(
        uow.db,
        [...queueIds].map(([alias, queueId]) => ({ queueId, workflowId: workflow.workflow_id, alias, isPublic: publicAliases.has(alias), createdAt: now, activatedAt: null, closedAt: null })),
      );
      return { workflow, task_directives: directives, taskforces };
    });
    this.onChange();
    return created;
  }

  async workflow(principal: Principal, workflowId: string): Promise<WorkflowDoc> {
    return (await this.visibleWorkflow(principal, workflowId)).doc;
  }

  async taskDirective(principal: Principal, taskId: string): Promise<TaskDirectiveDoc> {
    const directive = await workflowsRepo.getTaskDirective(this.store.db, taskId);
    if (!directive || !(await this.sees(principal, directive.workflow_id))) throw new GantryError('not_found', `no task found with id: ${taskId}`);
    return directive;
  }

  async taskforce(principal: Principal, taskforceUuid: string): Promise<TaskforceDoc> {
    const taskforce = await workflowsRepo.getTaskforce(this.store.db, taskforceUuid);
    if (!taskforce || !(await this.sees(principal, taskforce.workflow_id))) throw new GantryError('not_found', `no taskforce found with uuid: ${taskforceUuid}`);
    return taskforce;
  }

  /** Documents of a collection that match an EWMS query, one page at a time (users see their own workflows' only; TMSs, as `api` users, all). */
  async find(principal: Principal, collection: WorkflowCollection, request: { query: unknown; projection?: unknown; after?: unknown }): Promise<DocPage> {
    return findDocs(this.store.db, this.store.dialect, collection, request, {
      pageRows: this.settings.queryPageRows,
      pageBytes: QUERY_PAGE_BYTES,
      ...(seesEverything(principal) || principal.roles.includes('api') ? {} : { owner: principal.username }),
    });
  }

  /**
   * Ends a workflow (ABORTED or FINISHED): its taskforces that are not already
   * ending are to be stopped, and its queues take no more messages. Asked again
   * with the same ending (a replayed POST), it answers as the first time.
   */
  async deactivate(principal: Principal, workflowId: string, how: Deactivation): Promise<{ workflow_id: string; n_taskforces: number }> {
    const stored = await this.visibleWorkflow(principal, workflowId);
    this.mayAct(principal, stored.ownerId);
    const answer = await this.writer.run(
      async (uow, fx) => {
        const now = Date.now();
        const current = await workflowsRepo.getWorkflow(uow.db, workflowId);
        if (!current) throw new GantryError('not_found', `no workflow found with id: ${workflowId}`);
        if (current.doc.deactivated === how) return { workflow_id: workflowId, n_taskforces: await stoppedByUser(uow.db, workflowId, how) };
        if (current.doc.deactivated !== null) throw new GantryError('not_found', `no non-deactivated workflow found with workflow_id='${workflowId}'`);
        await workflowsRepo.deactivateWorkflow(uow.db, { ...current.doc, deactivated: how, deactivated_ts: now / 1000 });
        let stopped = 0;
        for (const taskforce of await workflowsRepo.taskforcesOf(uow.db, workflowId)) {
          const ending = ENDING_PHASES.includes(taskforce.phase);
          const next = withPhaseChange(
            taskforce,
            {
              target_phase: 'pending-stopper',
              was_successful: !ending,
              source_event_time: null,
              source_entity: 'User',
              context: ending ? `User deactivated (${how}) workflow but taskforce is already ending/finished (${ENDING_PHASES.join(', ')})` : `User deactivated (${how}) workflow`,
            },
            now,
          );
          if (!(await workflowsRepo.updateTaskforce(uow.db, next, taskforce.phase))) throw new GantryError('conflict', `taskforce ${taskforce.taskforce_uuid} changed while the workflow was being deactivated`);
          if (!ending) stopped++;
        }
        await mqQueuesRepo.closeOfWorkflow(uow.db, workflowId, now);
        await endJob(uow, fx, current.jobId, how, now);
        return { workflow_id: workflowId, n_taskforces: stopped };
      },
      [`workflow:${workflowId}`],
    );
    await this.onDeactivated(workflowId);
    this.onChange();
    return answer;
  }

  /** A new taskforce for a task directive at `cluster_location` (EWMS's add-workers). */
  async addWorkers(principal: Principal, taskId: string, request: AddWorkersRequest, replayKey: string): Promise<TaskforceDoc> {
    const directive = await this.taskDirective(principal, taskId);
    const stored = await this.visibleWorkflow(principal, directive.workflow_id);
    this.mayAct(principal, stored.ownerId);
    const digest = digestOf(replayKey);
    const known = (await this.knownLocations()).has(request.cluster_location);
    const taskforce = await this.writer.run(
      async (uow) => {
        const now = Date.now();
        const workflow = await workflowsRepo.getWorkflow(uow.db, directive.workflow_id);
        const replayed = await workflowsRepo.taskforceOfRequest(uow.db, taskId, digest, now - this.settings.replaySeconds * 1000);
        if (replayed) return replayed;
        if (workflow?.doc.deactivated != null) throw new GantryError('conflict', `cannot add a taskforce to a deactivated workflow (${directive.workflow_id})`);
        if (!known) throw new GantryError('conflict', `condor cluster location not found: ${request.cluster_location}`);
        const sibling = (await workflowsRepo.taskforcesOf(uow.db, directive.workflow_id)).find((candidate) => candidate.task_id === taskId);
        if (!sibling) throw new GantryError('not_found', `no taskforce found for task: ${taskId}`);
        const made = this.taskforceOf(
          directive,
          sibling.priority + MAX_PRIORITY,
          request.cluster_location,
          sibling.pilot_config,
          sibling.worker_config,
          request.n_workers ?? 1,
          principal.roles.includes('admin') || principal.roles.includes('api') ? 'TMS' : 'USER',
          'Created when adding more workers for this task directive.',
          now,
        );
        await workflowsRepo.insertTaskforces(uow.db, [{ doc: made, requestDigest: digest }], now);
        return made;
      },
      [`workflow:${directive.workflow_id}`],
    );
    this.onChange();
    return taskforce;
  }

  /** Cluster locations taskforces may be made at: Gantry's own workers' and those of outside task management services. */
  async knownLocations(): Promise<Set<string>> {
    const locations = new Set(Object.keys(this.settings.externalLocations));
    if (this.settings.localLocation !== undefined) locations.add(this.settings.localLocation);
    for (const node of await nodesRepo.listByStatus(this.store.db, ['UP', 'DOWN'])) {
      const location = node.labels.location;
      if (location) locations.add(location);
    }
    return locations;
  }

  /** The schedd that a location's taskforces name: the outside TMS's, or Gantry's own for its workers' locations. */
  scheddOf(location: string): string {
    return this.settings.externalLocations[location]?.schedd ?? `${BUILT_IN_SCHEDD_PREFIX}${location}`;
  }

  private taskforceOf(
    directive: TaskDirectiveDoc,
    priority: number,
    location: string,
    pilotConfig: PilotConfig,
    workerConfig: WorkerConfig,
    workers: number,
    entity: string,
    reason: string,
    now: number,
  ): TaskforceDoc {
    return {
      taskforce_uuid: newTaskforceUuid(directive.task_id, hex8),
      task_id: directive.task_id,
      workflow_id: directive.workflow_id,
      timestamp: now / 1000,
      priority,
      collector: null,
      schedd: this.scheddOf(location),
      n_workers: workers,
      pilot_config: { ...pilotConfig, image_source: 'cvmfs' },
      worker_config: workerConfig,
      cluster_id: null,
      submit_dict: {},
      job_event_log_fpath: '',
      phase: 'pre-mq-activation',
      phase_change_log: [{ target_phase: 'pre-mq-activation', timestamp: now / 1000, was_successful: true, source_event_time: null, source_entity: entity, context: reason }],
      compound_statuses: {},
      top_task_errors: {},
    };
  }

  private async visibleWorkflow(principal: Principal, workflowId: string): Promise<workflowsRepo.StoredWorkflow> {
    const stored = await workflowsRepo.getWorkflow(this.store.db, workflowId);
    if (!stored || !(seesEverything(principal) || principal.roles.includes('api') || stored.ownerId === principal.username)) {
      throw new GantryError('not_found', `no workflow found with id: ${workflowId}`);
    }
    return stored;
  }

  private async sees(principal: Principal, workflowId: string): Promise<boolean> {
    if (seesEverything(principal) || principal.roles.includes('api')) return true;
    return (await workflowsRepo.getWorkflow(this.store.db, workflowId))?.ownerId === principal.username;
  }

  private mayAct(principal: Principal, ownerId: string): void {
    if (ownerId !== principal.username && !actsOnEverything(principal) && !principal.roles.includes('api')) {
      throw new GantryError('forbidden', "only the workflow's owner or an admin may change it");
    }
  }
}

/** The digest of what identifies a request for replays: the user's key, or the request itself. */
function digestOf(replayKey: string): string {
  return createHash('sha256').update(replayKey).digest('base64url');
}

function checkTasks(tasks: readonly TaskRequest[]): void {
  tasks.forEach((task, index) => {
    // Read now, not when the pilots start: a size no pilot could get would leave its taskforce waiting for ever.
    try {
      memoryBytesOf(task.worker_config.worker_memory);
    } catch (error) {
      throw new GantryError('invalid_input', `tasks[${index}].${(error as Error).message}`);
    }
    for (const name of RESERVED_PILOT_ENV) {
      if (task.pilot_config?.environment && name in task.pilot_config.environment) {
        throw new GantryError('invalid_input', `tasks[${index}].pilot_config.environment cannot include the attribute '${name}'. Use the top-level equivalent attribute instead.`);
      }
    }
  });
}

/** Every alias the tasks use; public ones must be among them. */
function queueAliasesOf(request: WorkflowRequest): Set<string> {
  const aliases = new Set<string>();
  for (const task of request.tasks) for (const alias of [...task.input_queue_aliases, ...task.output_queue_aliases]) aliases.add(alias);
  for (const alias of request.public_queue_aliases) {
    if (!aliases.has(alias)) throw new GantryError('invalid_input', `public_queue_aliases: '${alias}' is not an input or output queue alias of any task`);
  }
  return aliases;
}

function directiveOf(workflowId: string, task: TaskRequest, queueIds: ReadonlyMap<string, string>, now: number): TaskDirectiveDoc {
  return {
    task_id: newTaskId(workflowId, hex8),
    workflow_id: workflowId,
    timestamp: now / 1000,
    cluster_locations: task.cluster_locations,
    task_image: task.task_image,
    task_args: task.task_args,
    task_env: task.task_env ?? {},
    init_image: task.init_image ?? '',
    init_args: task.init_args ?? '',
    init_env: task.init_env ?? {},
    input_queues: task.input_queue_aliases.map((alias) => queueIds.get(alias)!),
    output_queues: task.output_queue_aliases.map((alias) => queueIds.get(alias)!),
  };
}

function pilotConfigOf(given: Partial<PilotConfig> | undefined): PilotConfig {
  return { tag: given?.tag ?? 'latest', image_source: 'cvmfs', environment: given?.environment ?? {}, input_files: given?.input_files ?? [] };
}

/** A workflow with its task directives and taskforces, as POST /v1/workflows answers. */
async function createdAnswer(db: Store['db'], workflowId: string): Promise<CreatedWorkflow> {
  const stored = await workflowsRepo.getWorkflow(db, workflowId);
  return { workflow: stored!.doc, task_directives: await workflowsRepo.taskDirectivesOf(db, workflowId), taskforces: await workflowsRepo.taskforcesOf(db, workflowId) };
}

/** How many taskforces a deactivation of this kind moved to pending-stopper (for a replayed request's answer). */
async function stoppedByUser(db: Store['db'], workflowId: string, how: Deactivation): Promise<number> {
  const context = `User deactivated (${how}) workflow`;
  return (await workflowsRepo.taskforcesOf(db, workflowId)).filter((taskforce) =>
    taskforce.phase_change_log.some((entry) => entry.target_phase === 'pending-stopper' && entry.was_successful && entry.context === context),
  ).length;
}

async function endJob(uow: Parameters<Parameters<Writer['run']>[0]>[0], fx: Effects, jobId: string, how: Deactivation, now: number): Promise<void> {
  const job = await uow.job(jobId);
  if (!job || job.state !== 'running') return;
  const to = how === 'FINISHED' ? 'completed' : 'cancelled';
  assertJobTransition(jobId, job.state, to);
  uow.updateJob(jobId, 'running', how === 'FINISHED' ? { state: to, completedAt: now } : { state: to, cancelledAt: now, error: 'the workflow was aborted' });
  fx.emit({ type: 'job.state', job: { ...job, state: to }, from: 'running', to });
}
