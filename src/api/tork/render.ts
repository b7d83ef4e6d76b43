import type { User } from '../../core/identity.js';
import type { Job, Page, QueueInfo, ScheduledJob, Task, TaskLogPart, WorkerNode } from '../../core/model.js';
import type { PipelineDefinition, PipelineTask } from '../../core/pipeline.js';
import { redactTork } from './redact.js';
import { TORK_JOB_STATE, TORK_NODE_STATUS, TORK_SCHEDULE_STATE, TORK_TASK_STATE } from './states.js';

/** Wire shapes of the Tork API (camelCase, Go's omitempty: empty values are left out). */

export type TorkJson = Record<string, unknown>;

const time = (ms: number | null | undefined): string | undefined => (ms == null ? undefined : new Date(ms).toISOString());

/** Go's `omitempty`: nil, "", false, 0 and empty lists and maps. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Drops empty fields, except the ones Tork always sends. */
function omitEmpty(object: TorkJson, always: readonly string[] = []): TorkJson {
  const out: TorkJson = {};
  for (const [key, value] of Object.entries(object)) {
    if (always.includes(key) || !isEmpty(value)) out[key] = value;
  }
  return out;
}

const secretValues = (job: Job): string[] => Object.values(job.secrets).filter((value) => value.length > 0);

/** A job's schedule as Tork shows it; `cron` when the scheduled job still exists. */
export type TorkSchedules = ReadonlyMap<string, string>;

function jobSummaryFields(job: Job, schedules: TorkSchedules | undefined): TorkJson {
  const cron = job.scheduledJobId ? schedules?.get(job.scheduledJobId) : undefined;
  return omitEmpty(
    {
      id: job.id,
      // Tork's createdBy is the User; Gantry names its owner.
      createdBy: { username: job.owner },
      // Tork's parentId of a subjob is the task that opened it (none for a detached one).
      parentId: job.parentTaskId,
      inputs: job.inputs,
      name: job.name,
      description: job.description,
      tags: job.tags,
      state: TORK_JOB_STATE[job.state],
      createdAt: time(job.createdAt),
      startedAt: time(job.startedAt),
      completedAt: time(job.completedAt),
      failedAt: time(job.failedAt),
      position: job.position,
      taskCount: job.taskCount,
      result: job.result,
      error: job.error,
      progress: job.progress,
      schedule: job.scheduledJobId ? omitEmpty({ id: job.scheduledJobId, cron }) : undefined,
    },
    ['position'],
  );
}

/** Tork's `JobSummary`: what `GET /jobs` lists and `POST /jobs` answers. */
export function torkJobSummary(job: Job, schedules?: TorkSchedules): TorkJson {
  return redactTork(jobSummaryFields(job, schedules), secretValues(job));
}

function taskFields(task: Task): TorkJson {
  const def = (task.definition ?? {}) as PipelineTask;
  return omitEmpty({
    id: task.id,
    jobId: task.jobId,
    parentId: task.parentId,
    position: task.position,
    name: task.name,
    description: task.description,
    state: TORK_TASK_STATE[task.state],
    createdAt: time(task.createdAt),
    scheduledAt: time(task.scheduledAt),
    startedAt: time(task.startedAt),
    completedAt: time(task.completedAt),
    failedAt: time(task.failedAt),
    cmd: def.cmd,
    entrypoint: def.entrypoint,
    run: def.run,
    image: def.image,
    registry: def.registry,
    env: def.env,
    files: def.files,
    queue: task.kind === 'simple' ? task.queue : undefined,
    error: task.error,
    pre: def.pre,
    post: def.post,
    sidecars: def.sidecars,
    mounts: def.mounts,
    networks: def.networks,
    nodeId: task.nodeId,
    retry: task.retryLimit > 0 ? omitEmpty({ limit: task.retryLimit, attempts: task.attempt - 1 }) : undefined,
    limits: def.limits,
    timeout: def.timeout,
    result: task.result,
    var: def.var,
    if: def.if,
    parallel: def.parallel ? omitEmpty({ tasks: def.parallel.tasks, completions: task.completions }) : undefined,
    each: def.each
      ? omitEmpty({
          var: def.each.var,
          list: def.each.list,
          task: def.each.task,
          size: task.size,
          completions: task.completions,
          concurrency: def.each.concurrency,
        })
      : undefined,
    subjob: def.subjob ? omitEmpty({ id: task.subjobId, ...def.subjob }) : undefined,
    gpus: def.gpus,
    tags: def.tags,
    workdir: def.workdir,
    priority: task.priority,
    progress: task.progress,
  });
}

/** Tork's `Task`: one task execution, with what Tork hides hidden (see redact.ts). */
export function torkTask(task: Task, secrets: readonly string[] = []): TorkJson {
  return redactTork(taskFields(task), secrets);
}

/**
 * Tork's `TaskSummary`: what a task webhook is called with. It leaves out the
 * definition (`run`, `env`, …), so no task's environment leaves in a webhook.
 */
export function torkTaskSummary(task: Task, secrets: readonly string[] = []): TorkJson {
  const def = (task.definition ?? {}) as PipelineTask;
  return redactTork(
    omitEmpty({
      id: task.id,
      jobId: task.jobId,
      position: task.position,
      progress: task.progress,
      name: task.name,
      description: task.description,
      state: TORK_TASK_STATE[task.state],
      createdAt: time(task.createdAt),
      scheduledAt: time(task.scheduledAt),
      startedAt: time(task.startedAt),
      completedAt: time(task.completedAt),
      error: task.error,
      result: task.result,
      var: def.var,
      tags: def.tags,
    }),
    secrets,
  );
}

/** Tork's full `Job`: the summary plus the definition's `tasks`, the `execution` and the context. */
export function torkJob(job: Job, tasks: readonly Task[], schedules?: TorkSchedules): TorkJson {
  const definition = job.definition as PipelineDefinition;
  const body = omitEmpty(
    {
      ...jobSummaryFields(job, schedules),
      tasks: definition.tasks,
      execution: tasks.map(taskFields),
      position: job.position,
      // Tork's context is a struct: always sent, its empty maps left out.
      context: omitEmpty({
        job: { id: job.id, name: job.name },
        inputs: job.inputs,
        secrets: job.secrets,
        tasks: job.context.tasks,
      }),
      output: definition.output,
      defaults: definition.defaults,
      webhooks: definition.webhooks,
      permissions: definition.permissions,
      autoDelete: definition.autoDelete,
      secrets: job.secrets,
    },
    ['tasks', 'execution', 'position', 'context'],
  );
  return redactTork(body, secretValues(job));
}

export function torkPage<T>(page: Page<T>, render: (item: T) => TorkJson): TorkJson {
  return {
    items: page.items.map(render),
    number: page.number,
    size: page.size,
    totalPages: page.totalPages,
    totalItems: page.totalItems,
  };
}

export function torkLogPart(part: TaskLogPart): TorkJson {
  return { id: part.id, number: part.number, taskId: part.taskId, contents: part.contents, createdAt: time(part.createdAt) };
}

/** Tork's User: `id, name, username, createdAt, disabled`; never a password or its hash. */
export function torkUser(user: User): TorkJson {
  return omitEmpty({ id: user.id, name: user.name, username: user.username, createdAt: time(user.createdAt), disabled: !user.enabled });
}

export function torkNode(node: WorkerNode): TorkJson {
  return omitEmpty(
    {
      id: node.id,
      name: node.name,
      startedAt: time(node.startedAt),
      cpuPercent: node.cpuPercent,
      lastHeartbeatAt: time(node.lastHeartbeatAt),
      queue: node.privateQueue,
      status: TORK_NODE_STATUS[node.status],
      hostname: node.hostname,
      taskCount: node.taskCount,
      version: node.version,
    },
    // Tork leaves out a zero cpuPercent and taskCount; its web UI shows both columns, so they are always sent.
    ['version', 'cpuPercent', 'taskCount'],
  );
}

export function torkQueue(queue: QueueInfo): TorkJson {
  return { name: queue.name, size: queue.size, subscribers: queue.subscribers, unacked: queue.unacked };
}

const scheduleSecrets = (definition: PipelineDefinition): string[] => Object.values(definition.secrets ?? {}).filter(Boolean);

/**
 * Tork's `ScheduledJobSummary`, and two Gantry additions that Tork does not send:
 * `nextRunAt` and `lastRunAt`.
 */
function scheduledJobSummaryFields(scheduled: ScheduledJob): TorkJson {
  const definition = scheduled.definition as PipelineDefinition;
  return omitEmpty({
    id: scheduled.id,
    name: scheduled.name,
    description: scheduled.description,
    tags: scheduled.tags,
    inputs: definition.inputs,
    cron: scheduled.cron,
    state: TORK_SCHEDULE_STATE[scheduled.state],
    createdAt: time(scheduled.createdAt),
    nextRunAt: time(scheduled.nextRunAt),
    lastRunAt: time(scheduled.lastRunAt),
  });
}

export function torkScheduledJobSummary(scheduled: ScheduledJob): TorkJson {
  return redactTork(scheduledJobSummaryFields(scheduled), scheduleSecrets(scheduled.definition as PipelineDefinition));
}

/** Tork's `ScheduledJob`. Unlike Tork, which shows it as stored, its secrets are hidden as a job's are. */
export function torkScheduledJob(scheduled: ScheduledJob): TorkJson {
  const definition = scheduled.definition as PipelineDefinition;
  return redactTork(
    omitEmpty(
      {
        ...scheduledJobSummaryFields(scheduled),
        tasks: definition.tasks,
        output: definition.output,
        defaults: definition.defaults,
        webhooks: definition.webhooks,
        permissions: definition.permissions,
        autoDelete: definition.autoDelete,
        secrets: definition.secrets,
      },
      ['tasks'],
    ),
    scheduleSecrets(definition),
  );
}
