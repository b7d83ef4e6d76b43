import { GantryError, isGantryError } from '../../../core/errors.js';
import type { PipelineDefinition } from '../../../core/pipeline.js';
import { checkShape } from './check-shape.js';
import { resolveContentType } from './content-type.js';
import { checkDuration } from './field-rules.js';
import { jobSubmissionSchema, scheduledJobSubmissionSchema } from './job-schema.js';
import { parseBody } from './parse-body.js';
import { problemsError } from './problems.js';
import { cronProblem } from './schedule.js';
import { validateJob } from './validate-job.js';

/** A validated `POST /jobs` body. */
export interface TorkJobSubmission {
  job: PipelineDefinition;
  /** Present when the client asked to wait for the job to end (`wait: {timeout}`). */
  wait?: { timeoutMs: number };
}

/** A validated `POST /scheduled-jobs` body. */
export interface TorkScheduledJobSubmission {
  job: PipelineDefinition;
  /** A 5-field cron expression or an `@hourly`-style descriptor. */
  cron: string;
}

/**
 * Runs a parse step so that nothing but a GantryError leaves it: the rules throw
 * GantryErrors themselves; anything else is a bug, reported without its details.
 */
function guarded<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isGantryError(error)) throw error;
    throw new GantryError('internal', 'internal error while reading the job definition', { cause: error });
  }
}

/**
 * Parses and validates a Tork job submission (YAML or JSON, by `Content-Type`).
 * Throws an `invalid_input` GantryError naming the field, the reason and the line
 * and column for anything Tork would refuse, and for the few things Gantry adds
 * (caps on nesting and task count, checked durations, limits and expressions).
 */
export function parseJobSubmission(body: string | Buffer, contentType: string | undefined): TorkJobSubmission {
  return guarded(() => readJobSubmission(body, contentType));
}

/** Parses and validates a Tork scheduled-job submission: a job plus `schedule: {cron}`. */
export function parseScheduledJobSubmission(body: string | Buffer, contentType: string | undefined): TorkScheduledJobSubmission {
  return guarded(() => readScheduledJobSubmission(body, contentType));
}

function readJobSubmission(body: string | Buffer, contentType: string | undefined): TorkJobSubmission {
  const format = resolveContentType(contentType, 'jobs');
  const parsed = parseBody(body, format);
  const { wait, ...job } = checkShape(jobSubmissionSchema, parsed, format);
  const problems = validateJob(job);
  const timeoutMs = wait ? checkDuration(problems, ['wait', 'timeout'], wait.timeout, true) : undefined;
  if (problems.length > 0) throw problemsError(problems, parsed.positions);
  return timeoutMs === undefined ? { job } : { job, wait: { timeoutMs } };
}

function readScheduledJobSubmission(body: string | Buffer, contentType: string | undefined): TorkScheduledJobSubmission {
  const format = resolveContentType(contentType, 'scheduled-jobs');
  const parsed = parseBody(body, format);
  const { schedule, ...job } = checkShape(scheduledJobSubmissionSchema, parsed, format);
  const problems = validateJob(job);
  const cron = schedule.cron.trim();
  const problem = cronProblem(cron);
  if (problem) problems.push({ path: ['schedule', 'cron'], message: problem });
  if (problems.length > 0) throw problemsError(problems, parsed.positions);
  return { job, cron };
}
