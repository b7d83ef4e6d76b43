import { parseCpus, parseGoDuration, parseMemoryBytes } from '../../../core/units.js';
import { WEBHOOK_CONDITION_NAMES, type PipelineLimits, type PipelineRetry, type PipelineWebhook } from '../../../core/pipeline.js';
import { expressionProblem, templateProblem } from './expressions.js';
import type { FieldPath } from './positions.js';
import type { Problem } from './problems.js';

/*
 * Checks of single fields, shared by tasks, job defaults and subjobs. Each adds
 * Problems to the list it is given, so one submission reports all it can.
 */

export type Problems = Problem[];

/** Tork's coordinator queues (broker/queues.go, IsCoordinatorQueue): not for tasks. */
const COORDINATOR_QUEUES = new Set(['pending', 'started', 'completed', 'error', 'heartbeat', 'jobs', 'logs', 'progress', 'redeliveries']);

/** Tork's prefix for a node's private queue (broker.QUEUE_EXCLUSIVE_PREFIX). */
const EXCLUSIVE_QUEUE_PREFIX = 'x-';

/** The webhook events Tork fires (internal/webhook/webhook.go); unset means job.StateChange. */
const WEBHOOK_EVENTS = ['job.StateChange', 'job.Progress', 'task.StateChange', 'task.Progress'];

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Go counts string length in runes for `max=` rules; so does this. */
const characters = (text: string): number => [...text].length;

export function checkRange(problems: Problems, path: FieldPath, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (value < min || value > max)) {
    problems.push({ path, message: `must be between ${min} and ${max}, got ${value}` });
  }
}

export function checkMaxLength(problems: Problems, path: FieldPath, text: string | undefined, max: number): void {
  if (text !== undefined && characters(text) > max) {
    problems.push({ path, message: `must be at most ${max} characters long, got ${characters(text)}` });
  }
}

/**
 * A Go duration. `positive` is for timeouts (zero or less would stop the work
 * at once); other durations may be zero but not negative. Returns milliseconds.
 */
export function checkDuration(problems: Problems, path: FieldPath, text: string | undefined, positive: boolean): number | undefined {
  if (text === undefined) return undefined;
  let millis: number;
  try {
    millis = parseGoDuration(text);
  } catch (error) {
    problems.push({ path, message: messageOf(error) });
    return undefined;
  }
  if (positive && millis <= 0) problems.push({ path, message: `must be longer than 0, got "${text}"` });
  else if (millis < 0) problems.push({ path, message: `must not be negative, got "${text}"` });
  return millis;
}

export function checkQueue(problems: Problems, path: FieldPath, queue: string | undefined): void {
  if (queue === undefined) return;
  if (queue.startsWith(EXCLUSIVE_QUEUE_PREFIX)) {
    problems.push({ path, message: `"${queue}" is a node's private queue (the "x-" prefix is reserved); choose another queue name` });
  } else if (COORDINATOR_QUEUES.has(queue)) {
    problems.push({ path, message: `"${queue}" is reserved for the coordinator; choose another queue name` });
  }
}

export function checkRetry(problems: Problems, path: FieldPath, retry: PipelineRetry | undefined): void {
  if (retry) checkRange(problems, [...path, 'limit'], retry.limit, 1, 10);
}

/**
 * Limits are taken literally (Tork never evaluates them): cpus as a decimal CPU
 * count, memory as Docker spells sizes. Zero means "no limit" to Docker; Gantry has
 * no such value, so the field must be left out instead.
 */
export function checkLimits(problems: Problems, path: FieldPath, limits: PipelineLimits | undefined): void {
  if (!limits) return;
  const entries = [
    ['cpus', limits.cpus, parseCpus],
    ['memory', limits.memory, parseMemoryBytes],
  ] as const;
  for (const [field, text, parse] of entries) {
    if (text === undefined) continue;
    try {
      if (parse(text) <= 0) problems.push({ path: [...path, field], message: `must be greater than 0 (leave it out for no limit), got "${text}"` });
    } catch (error) {
      problems.push({ path: [...path, field], message: messageOf(error) });
    }
  }
}

/**
 * Every `{{ … }}` in the strings of a value (a task's fields, a map, a list) is
 * valid and reads only `names`, the names provided where the value is evaluated.
 */
export function checkTemplates(problems: Problems, path: FieldPath, value: unknown, names?: readonly string[]): void {
  if (typeof value === 'string') {
    const problem = templateProblem(value, names);
    if (problem) problems.push({ path, message: problem });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkTemplates(problems, [...path, index], item, names));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) checkTemplates(problems, [...path, key], child, names);
  }
}

export function checkExpression(problems: Problems, path: FieldPath, text: string | undefined, names?: readonly string[]): void {
  const problem = text === undefined ? undefined : expressionProblem(text, names);
  if (problem) problems.push({ path, message: problem });
}

/**
 * Names of `files` entries are written into the task's work directory: they must
 * stay inside it. (Tork writes them into a container, where this matters less.)
 */
export function checkFileNames(problems: Problems, path: FieldPath, files: Record<string, string> | undefined): void {
  for (const name of Object.keys(files ?? {})) {
    if (name === '' || name.startsWith('/') || name.includes('\0') || name.split(/[/\\]/).includes('..')) {
      problems.push({
        path: [...path, name],
        message: 'a file name must be a relative path inside the work directory (no leading "/" and no "..")',
        pointAt: { path: [...path, name], part: 'key' },
      });
    }
  }
}

function checkWebhookUrl(problems: Problems, path: FieldPath, url: string): void {
  if (url.includes('{{')) return; // a template; its syntax is checked with the other strings
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') problems.push({ path, message: `must be an http or https URL, got "${url}"` });
}

/**
 * Webhooks of a job or a subjob. `names` are what their `url` and `headers` may
 * read (the job's context; for a subjob's, its parent task's); their `if` reads
 * the job and the task of the event.
 */
export function checkWebhooks(problems: Problems, path: FieldPath, webhooks: PipelineWebhook[] | undefined, names: readonly string[]): void {
  webhooks?.forEach((webhook, index) => {
    const at = [...path, index];
    checkWebhookUrl(problems, [...at, 'url'], webhook.url);
    if (webhook.event !== undefined && !WEBHOOK_EVENTS.includes(webhook.event)) {
      problems.push({ path: [...at, 'event'], message: `must be one of ${WEBHOOK_EVENTS.join(', ')}, got "${webhook.event}"` });
    }
    checkExpression(problems, [...at, 'if'], webhook.if, WEBHOOK_CONDITION_NAMES);
    checkTemplates(problems, [...at, 'url'], webhook.url, names);
    checkTemplates(problems, [...at, 'headers'], webhook.headers, names);
  });
}
