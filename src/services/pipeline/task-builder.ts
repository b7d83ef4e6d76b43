import { invalidInput } from '../../core/errors.js';
import { describeValue, evaluateLoose, evaluateTemplate } from '../../core/expr/index.js';
import { newId } from '../../core/ids.js';
import type { Job, Task, TaskKind } from '../../core/model.js';
import {
  TEMPLATED_SUBJOB_FIELDS,
  TEMPLATED_TASK_FIELDS,
  TEMPLATED_WEBHOOK_FIELDS,
  type PipelineAuxTask,
  type PipelineDefinition,
  type PipelineTask,
  type PipelineWebhook,
} from '../../core/pipeline.js';
import type { RunMount, RunSpec, RunStep } from '../../core/run-spec.js';
import { parseCpus, parseGoDuration, parseMemoryBytes } from '../../core/units.js';
import { expressionContext, type Scope } from './context.js';

export interface Placement {
  position: number;
  parentId: string | null;
  siblingIndex: number;
}

function evaluateDeep(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') return value.includes('{{') ? evaluateTemplate(value, context) : value;
  if (Array.isArray(value)) return value.map((item) => evaluateDeep(item, context));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = evaluateDeep(child, context);
    return out;
  }
  return value;
}

function evaluateFields<T extends object>(object: T, fields: readonly string[], context: Record<string, unknown>): T {
  const out = { ...object } as Record<string, unknown>;
  for (const field of fields) if (field in out) out[field] = evaluateDeep(out[field], context);
  return out as unknown as T;
}

/**
 * A subjob's webhooks get their `url` and `headers` from the parent's context, as
 * in Tork; their `if` is the child's own, evaluated on each of its state changes.
 */
function evaluateSubjobWebhook(hook: PipelineWebhook, context: Record<string, unknown>): PipelineWebhook {
  return evaluateFields(hook, TEMPLATED_WEBHOOK_FIELDS, context);
}

/** Evaluates the `{{ … }}` of a task's templated fields (and its pre/post tasks'); nested tasks stay as written. */
export function evaluateTask(task: PipelineTask, job: Job, scope: Scope): PipelineTask {
  const context = expressionContext(job, scope);
  const out = evaluateFields(task, TEMPLATED_TASK_FIELDS, context);
  if (task.pre) out.pre = task.pre.map((aux) => evaluateFields(aux, TEMPLATED_TASK_FIELDS, context));
  if (task.post) out.post = task.post.map((aux) => evaluateFields(aux, TEMPLATED_TASK_FIELDS, context));
  if (task.subjob) {
    const { webhooks, ...rest } = task.subjob;
    out.subjob = evaluateFields(rest, TEMPLATED_SUBJOB_FIELDS, context);
    if (webhooks) out.subjob.webhooks = webhooks.map((hook) => evaluateSubjobWebhook(hook, context));
  }
  return out;
}

/**
 * Tork skips a task whose `if` comes out as the text `false` (a template such as
 * `{{ inputs.deploy == 'yes' }}`); anything else runs it, so a condition that reads
 * a missing value ("" or nil) does not silently skip work. A bare expression
 * (`if: "1 == 2"`) is evaluated too, which Tork would take as a plain string.
 */
export function conditionHolds(condition: string | undefined, job: Job, scope: Scope): boolean {
  if (condition === undefined || condition.trim() === '') return true;
  const value = evaluateLoose(condition, expressionContext(job, scope));
  if (value === false) return false;
  return !(typeof value === 'string' && value.trim().toLowerCase() === 'false');
}

export function evaluateEachList(list: string, job: Job, scope: Scope): unknown[] {
  const value = evaluateLoose(list, expressionContext(job, scope));
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // fall through to the error below
    }
  }
  throw invalidInput(`each.list must evaluate to a list, got ${describeValue(value)}`);
}

function kindOf(task: PipelineTask): TaskKind {
  if (task.parallel) return 'parallel';
  if (task.each) return 'each';
  if (task.subjob) return 'subjob';
  return 'simple';
}

function auxStep(role: 'pre' | 'post', aux: PipelineAuxTask): RunStep {
  return {
    role,
    name: aux.name,
    image: aux.image,
    run: aux.run,
    cmd: aux.cmd,
    entrypoint: aux.entrypoint,
    env: aux.env ?? {},
    files: aux.files ?? {},
    timeoutMs: aux.timeout ? parseGoDuration(aux.timeout) : undefined,
  };
}

function mountsOf(task: PipelineTask): RunMount[] {
  return (task.mounts ?? []).map((mount) => {
    if (!mount.target && mount.type !== 'bind') throw invalidInput(`mount of type ${mount.type} needs a target`);
    return {
      type: mount.type,
      source: mount.source,
      target: mount.target ?? mount.source ?? '',
      readOnly: mount.opts?.ro === 'true' || mount.opts?.readonly === 'true' || undefined,
    };
  });
}

/** The runnable form of an evaluated simple task, with the job's defaults applied. */
export function buildRunSpec(task: PipelineTask, definition: PipelineDefinition): RunSpec {
  const defaults = definition.defaults ?? {};
  const timeout = task.timeout ?? defaults.timeout;
  const cpus = task.limits?.cpus ?? defaults.limits?.cpus;
  const memory = task.limits?.memory ?? defaults.limits?.memory;
  return {
    steps: [
      ...(task.pre ?? []).map((aux) => auxStep('pre', aux)),
      {
        role: 'main',
        name: task.name,
        image: task.image,
        run: task.run,
        cmd: task.cmd,
        entrypoint: task.entrypoint,
        env: task.env ?? {},
        files: task.files ?? {},
        timeoutMs: timeout ? parseGoDuration(timeout) : undefined,
      },
      ...(task.post ?? []).map((aux) => auxStep('post', aux)),
    ],
    mounts: mountsOf(task),
    limits: {
      cpus: cpus ? parseCpus(cpus) : undefined,
      memoryBytes: memory ? parseMemoryBytes(memory) : undefined,
    },
    // A sandboxed process has no named networks: asking for any gives it the host's.
    network: (task.networks?.length ?? 0) > 0,
    workdir: task.workdir,
  };
}

/** A new task row (not yet stored) for an evaluated definition. */
export function newTaskRecord(args: {
  job: Job;
  definition: PipelineDefinition;
  task: PipelineTask;
  placement: Placement;
  state: Task['state'];
  now: number;
}): Task {
  const { job, definition, task, placement, now } = args;
  const kind = kindOf(task);
  const defaults = definition.defaults ?? {};
  return {
    id: newId(),
    jobId: job.id,
    parentId: placement.parentId,
    position: placement.position,
    siblingIndex: placement.siblingIndex,
    kind,
    name: task.name,
    description: task.description ?? null,
    state: args.state,
    definition: task,
    runSpec: kind === 'simple' && args.state !== 'skipped' ? buildRunSpec(task, definition) : null,
    queue: task.queue ?? defaults.queue ?? 'default',
    priority: task.priority ?? defaults.priority ?? job.priority,
    attempt: 1,
    retryLimit: task.retry?.limit ?? defaults.retry?.limit ?? 0,
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
    runAfter: 0,
    // Tork stamps a skipped task as scheduled, started and completed at the moment it is skipped.
    scheduledAt: args.state === 'skipped' ? now : null,
    startedAt: args.state === 'skipped' ? now : null,
    completedAt: args.state === 'skipped' ? now : null,
    failedAt: null,
  };
}
