import {
  DEFAULT_EACH_VAR,
  PIPELINE_EXPRESSION_NAMES,
  TEMPLATED_SUBJOB_FIELDS,
  TEMPLATED_TASK_FIELDS,
  type PipelineAuxTask,
  type PipelineMount,
  type PipelineSidecar,
  type PipelineTask,
} from '../../../core/pipeline.js';
import {
  checkDuration,
  checkExpression,
  checkFileNames,
  checkLimits,
  checkMaxLength,
  checkQueue,
  checkRange,
  checkRetry,
  checkTemplates,
  checkWebhooks,
  type Problems,
} from './field-rules.js';
import { MAX_TASK_NESTING, MAX_TASKS } from './limits.js';
import type { FieldPath } from './positions.js';

/** What the walk over a job's tasks carries along. */
export interface TaskWalk {
  problems: Problems;
  /** Tasks seen so far, nested ones included. */
  count: number;
}

const COMPOSITE_KINDS = ['parallel', 'each', 'subjob'] as const;

/**
 * Fields a composite task may not set (Tork input/validate.go,
 * compositeTaskValidation): it only starts other tasks and runs nothing itself.
 */
const NOT_ON_COMPOSITE = ['image', 'cmd', 'entrypoint', 'run', 'env', 'queue', 'pre', 'post', 'mounts', 'retry', 'limits', 'timeout'] as const;

/** Mount paths as Tork allows them (input/validate.go, mountPattern). */
const MOUNT_PATH = /^[-/.0-9a-zA-Z_= ]+$/;

/** Tork mounts its own files at /tork inside a task. */
const RESERVED_MOUNT_TARGET = '/tork';

/**
 * Whether a field counts as set for the composite rule. Tork checks strings and
 * lists by length, `env` by its number of entries and `retry`/`limits` by presence.
 */
function isSet(field: (typeof NOT_ON_COMPOSITE)[number], value: unknown): boolean {
  if (value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (field === 'env') return Object.keys(value as object).length > 0;
  return true;
}

function checkMount(problems: Problems, path: FieldPath, mount: PipelineMount): void {
  const needs = (field: 'source' | 'target'): void => {
    if (mount[field] === undefined) problems.push({ path: [...path, field], message: `required for a ${mount.type} mount` });
  };
  if (mount.type === 'volume' && mount.source !== undefined) {
    problems.push({ path: [...path, 'source'], message: 'not allowed for a volume mount (the volume is created for the task)' });
  }
  if (mount.type === 'bind') needs('source');
  needs('target');
  for (const field of ['source', 'target'] as const) {
    const value = mount[field];
    if (value !== undefined && !MOUNT_PATH.test(value)) {
      problems.push({ path: [...path, field], message: `may contain only letters, digits, spaces and - / . _ =, got "${value}"` });
    }
  }
  if (mount.target === RESERVED_MOUNT_TARGET) problems.push({ path: [...path, 'target'], message: `"${RESERVED_MOUNT_TARGET}" is reserved` });
}

/** The names readable where a field is evaluated: the job's context, plus the items of the `each` tasks around it. */
type Names = readonly string[];

function checkAuxTask(problems: Problems, path: FieldPath, aux: PipelineAuxTask | PipelineSidecar, names: Names): void {
  checkDuration(problems, [...path, 'timeout'], aux.timeout, true);
  checkFileNames(problems, [...path, 'files'], aux.files);
  if ('probe' in aux && aux.probe) {
    const probe = [...path, 'probe'];
    checkMaxLength(problems, [...probe, 'path'], aux.probe.path, 256);
    checkRange(problems, [...probe, 'port'], aux.probe.port, 1, 65535);
    checkDuration(problems, [...probe, 'timeout'], aux.probe.timeout, true);
  }
  checkTemplatedFields(problems, path, aux, names);
}

function checkComposite(problems: Problems, path: FieldPath, task: PipelineTask): void {
  const kinds = COMPOSITE_KINDS.filter((kind) => task[kind] !== undefined);
  const [kind, second] = kinds;
  if (kind === undefined) return;
  if (second !== undefined) {
    problems.push({ path, message: `a task can be only one of parallel, each or subjob; this one sets ${kinds.join(' and ')}` });
  }
  for (const field of NOT_ON_COMPOSITE) {
    if (isSet(field, task[field])) {
      problems.push({ path: [...path, field], message: `not allowed on ${kind === 'each' ? 'an' : 'a'} ${kind} task: it runs nothing itself, only the tasks inside it` });
    }
  }
}

function checkOwnFields(problems: Problems, path: FieldPath, task: PipelineTask, names: Names): void {
  checkQueue(problems, [...path, 'queue'], task.queue);
  checkRetry(problems, [...path, 'retry'], task.retry);
  checkLimits(problems, [...path, 'limits'], task.limits);
  checkDuration(problems, [...path, 'timeout'], task.timeout, true);
  checkMaxLength(problems, [...path, 'var'], task.var, 64);
  checkMaxLength(problems, [...path, 'workdir'], task.workdir, 256);
  checkRange(problems, [...path, 'priority'], task.priority, 0, 9);
  checkExpression(problems, [...path, 'if'], task.if, names);
  checkFileNames(problems, [...path, 'files'], task.files);
  task.mounts?.forEach((mount, index) => checkMount(problems, [...path, 'mounts', index], mount));
  for (const role of ['pre', 'post', 'sidecars'] as const) {
    task[role]?.forEach((aux, index) => checkAuxTask(problems, [...path, role, index], aux, names));
  }
  checkTemplatedFields(problems, path, task, names);
}

/** Only the fields the engine evaluates may fail on `{{ … }}`; a script's own braces are its business. */
function checkTemplatedFields(problems: Problems, path: FieldPath, task: object, names: Names): void {
  for (const field of TEMPLATED_TASK_FIELDS) checkTemplates(problems, [...path, field], (task as Record<string, unknown>)[field], names);
}

function checkTaskList(walk: TaskWalk, path: FieldPath, tasks: PipelineTask[], depth: number, names: Names): void {
  if (tasks.length === 0) walk.problems.push({ path, message: 'must list at least one task' });
  tasks.forEach((task, index) => checkTask(walk, [...path, index], task, depth, names));
}

function checkNested(walk: TaskWalk, path: FieldPath, task: PipelineTask, depth: number, names: Names): void {
  const { problems } = walk;
  if (task.parallel) checkTaskList(walk, [...path, 'parallel', 'tasks'], task.parallel.tasks, depth + 1, names);
  if (task.each) {
    const at = [...path, 'each'];
    checkExpression(problems, [...at, 'list'], task.each.list, names);
    checkRange(problems, [...at, 'concurrency'], task.each.concurrency, 0, 99999);
    checkTemplates(problems, [...at, 'var'], task.each.var);
    const itemName = task.each.var ?? DEFAULT_EACH_VAR;
    checkTask(walk, [...at, 'task'], task.each.task, depth + 1, names.includes(itemName) ? names : [...names, itemName]);
  }
  if (task.subjob) {
    const at = [...path, 'subjob'];
    const { tasks, webhooks, autoDelete, output } = task.subjob;
    // Name, inputs, secrets and webhook urls and headers are evaluated in this job; the
    // output and the tasks in the child, which sees only its own context.
    for (const field of TEMPLATED_SUBJOB_FIELDS) checkTemplates(problems, [...at, field], task.subjob[field], names);
    checkTemplates(problems, [...at, 'output'], output, PIPELINE_EXPRESSION_NAMES);
    checkDuration(problems, [...at, 'autoDelete', 'after'], autoDelete?.after, false);
    checkWebhooks(problems, [...at, 'webhooks'], webhooks, names);
    checkTaskList(walk, [...at, 'tasks'], tasks, depth + 1, PIPELINE_EXPRESSION_NAMES);
  }
}

/**
 * Checks one task and the tasks inside it. `depth` counts the parallel / each /
 * subjob levels above it; past MAX_TASK_NESTING, or past MAX_TASKS tasks in all,
 * the walk reports once and stops descending.
 */
export function checkTask(walk: TaskWalk, path: FieldPath, task: PipelineTask, depth: number, names: Names = PIPELINE_EXPRESSION_NAMES): void {
  walk.count += 1;
  if (walk.count === MAX_TASKS + 1) {
    walk.problems.push({ path, message: `the job has more than ${MAX_TASKS} tasks (counting the ones inside parallel, each and subjob)` });
  }
  if (walk.count > MAX_TASKS) return;
  if (depth > MAX_TASK_NESTING) {
    walk.problems.push({ path, message: `tasks are nested more than ${MAX_TASK_NESTING} levels deep (parallel, each and subjob inside one another)` });
    return;
  }
  checkComposite(walk.problems, path, task);
  checkOwnFields(walk.problems, path, task, names);
  checkNested(walk, path, task, depth, names);
}

/** Checks a job's (or subjob's) top-level task list. */
export function checkTasks(walk: TaskWalk, path: FieldPath, tasks: PipelineTask[]): void {
  checkTaskList(walk, path, tasks, 0, PIPELINE_EXPRESSION_NAMES);
}
