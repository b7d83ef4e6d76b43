import type { Job, Page, QueueInfo, ScheduledJob, Task, TaskLogPart, WorkerNode } from '../../core/model.js';
import type { PipelineDefinition, PipelineTask } from '../../core/pipeline.js';
import { maskSecrets, REDACTED } from '../../core/secrets.js';
import { TORK_JOB_STATE, TORK_NODE_STATUS, TORK_SCHEDULE_STATE, TORK_TASK_STATE } from './states.js';

/** Wire shapes of the Tork API (camelCase, Go's omitempty: empty values are left out). */

export type TorkJson = Record<string, unknown>;


const time = (ms: number | null | undefined): string | undefined => (ms == null ? undefined : new Date(ms).toISOString());

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return true;
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

/** Replaces every secret value inside strings of a structure. */
function redact<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return maskSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redact(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = redact(child, secrets);
    return out as T;
  }
  return value;
}

const secretValues = (job: Job): string[] => Object.values(job.secrets).filter((value) => value.length > 0);

const redactedMap = (map: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.keys(map).map((key) => [key, REDACTED]));

export function torkJobSummary(job: Job): TorkJson {
  const definition = job.definition as PipelineDefinition;
  return redact(
    omitEmpty(
      {
        id: job.id,
        parentId: job.parentJobId,
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
        schedule: job.scheduledJobId ? { id: job.scheduledJobId } : undefined,
        output: definition?.output,
      },
      ['position'],
    ),
    secretValues(job),
  );
}

export function torkTask(task: Task, secrets: readonly string[] = []): TorkJson {
  const def = (task.definition ?? {}) as PipelineTask;
  const rendered = omitEmpty({
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
    retry: task.retryLimit > 0 ? { limit: task.retryLimit, attempts: task.attempt - 1 } : undefined,
    limits: def.limits,
    timeout: def.timeout,
    result: task.result,
    var: def.var,
    if: def.if,
    parallel: def.parallel ? { tasks: def.parallel.tasks, completions: task.completions } : undefined,
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
  return redact(rendered, secrets);
}

export function torkJob(job: Job, tasks: readonly Task[]): TorkJson {
  const definition = job.definition as PipelineDefinition;
  const secrets = secretValues(job);
  const body = omitEmpty(
    {
      ...torkJobSummary(job),
      tasks: redact(definition.tasks, secrets),
      execution: tasks.map((task) => torkTask(task, secrets)),
      position: job.position,
      context: {
        inputs: job.inputs,
        secrets: redactedMap(job.secrets),
        tasks: redact(job.context.tasks, secrets),
      },
      defaults: definition.defaults,
      webhooks: definition.webhooks,
      permissions: definition.permissions,
      autoDelete: definition.autoDelete,
      secrets: redactedMap(job.secrets),
    },
    ['tasks', 'execution', 'position'],
  );
  return redact(body, secrets);
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
    ['version', 'cpuPercent'],
  );
}

export function torkQueue(queue: QueueInfo): TorkJson {
  return { name: queue.name, size: queue.size, subscribers: queue.subscribers, unacked: queue.unacked };
}

export function torkScheduledJobSummary(scheduled: ScheduledJob): TorkJson {
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

export function torkScheduledJob(scheduled: ScheduledJob): TorkJson {
  const definition = scheduled.definition as PipelineDefinition;
  const secrets = Object.values(definition.secrets ?? {}).filter(Boolean);
  return redact(
    omitEmpty({
      ...torkScheduledJobSummary(scheduled),
      tasks: definition.tasks,
      output: definition.output,
      defaults: definition.defaults,
      webhooks: definition.webhooks,
      permissions: definition.permissions,
      autoDelete: definition.autoDelete,
      secrets: definition.secrets ? redactedMap(definition.secrets) : undefined,
    }),
    secrets,
  );
}
