import {
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

function checkAuxTask(problems: Problems, path: FieldPath, aux: PipelineAuxTask | PipelineSidecar): void {
  checkDuration(problems, [...path, 'timeout'], aux.timeout, true);
  checkFileNames(problems, [...path, 'files'], aux.files);
  if ('probe' in aux && aux.probe) {
    const probe = [...path, 'probe'];
    checkMaxLength(problems, [...probe, 'path'], aux.probe.path, 256);
    checkRange(problems, [...probe, 'port'], aux.probe.port, 1, 65535);
    checkDuration(problems, [...probe, 'timeout'], aux.probe.timeout, true);
  }
  checkTemplatedFields(problems, path, aux);
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

function checkOwnFields(problems: Problems, path: FieldPath, task: PipelineTask): void {
  checkQueue(problems, [...path, 'queue'], task.queue);
  checkRetry(problems, [...path, 'retry'], task.retry);
  checkLimits(problems, [...path, 'limits'], task.limits);
  checkDuration(problems, [...path, 'timeout'], task.timeout, true);
  checkMaxLength(problems, [...path, 'var'], task.var, 64);
  checkMaxLength(problems, [...path, 'workdir'], task.workdir, 256);
  checkRange(problems, [...path, 'priority'], task.priority, 0, 9);
  checkExpression(problems, [...path, 'if'], task.if);
  checkFileNames(problems, [...path, 'files'], task.files);
  task.mounts?.forEach((mount, index) => checkMount(problems, [...path, 'mounts', index], mount));
  for (const role of ['pre', 'post', 'sidecars'] as const) {
    task[role]?.forEach((aux, index) => checkAuxTask(problems, [...path, role, index], aux));
  }
  checkTemplatedFields(problems, path, task);
  if (task.subjob) {
    for (const field of TEMPLATED_SUBJOB_FIELDS) checkTemplates(problems, [...path, 'subjob', field], task.subjob[field]);
  }
}

/** Only the fields the engine evaluates may fail on `{{ … }}`; a script's own braces are its business. */
function checkTemplatedFields(problems: Problems, path: FieldPath, task: object): void {
  for (const field of TEMPLATED_TASK_FIELDS) checkTemplates(problems, [...path, field], (task as Record<string, unknown>)[field]);
}

function checkTaskList(walk: TaskWalk, path: FieldPath, tasks: PipelineTask[], depth: number): void {
  if (tasks.length === 0) walk.problems.push({ path, message: 'must list at least one task' });
  tasks.forEach((task, index) => checkTask(walk, [...path, index], task, depth));
}

function checkNested(walk: TaskWalk, path: FieldPath, task: PipelineTask, depth: number): void {
  const { problems } = walk;
  if (task.parallel) checkTaskList(walk, [...path, 'parallel', 'tasks'], task.parallel.tasks, depth + 1);
  if (task.each) {
    const at = [...path, 'each'];
    checkExpression(problems, [...at, 'list'], task.each.list);
    checkRange(problems, [...at, 'concurrency'], task.each.concurrency, 0, 99999);
    checkTemplates(problems, [...at, 'var'], task.each.var);
    checkTask(walk, [...at, 'task'], task.each.task, depth + 1);
  }
  if (task.subjob) {
    const at = [...path, 'subjob'];
    const { tasks, webhooks, autoDelete, ...rest } = task.subjob;
    checkDuration(problems, [...at, 'autoDelete', 'after'], autoDelete?.after, false);
    checkWebhooks(problems, [...at, 'webhooks'], webhooks);
    checkTemplates(problems, at, rest);
    checkTaskList(walk, [...at, 'tasks'], tasks, depth + 1);
  }
}

/**
 * Checks one task and the tasks inside it. `depth` counts the parallel / each /
 * subjob levels above it; past MAX_TASK_NESTING, or past MAX_TASKS tasks in all,
 * the walk reports once and stops descending.
 */
export function checkTask(walk: TaskWalk, path: FieldPath, task: PipelineTask, depth: number): void {
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
  checkOwnFields(walk.problems, path, task);
  checkNested(walk, path, task, depth);
}

/** Checks a job's (or subjob's) top-level task list. */
export function checkTasks(walk: TaskWalk, path: FieldPath, tasks: PipelineTask[]): void {
  checkTaskList(walk, path, tasks, 0);
}
