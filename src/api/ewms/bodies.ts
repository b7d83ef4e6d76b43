import { z } from 'zod';
import { invalidInput } from '../../core/errors.js';

/**
 * EWMS's request bodies, as its OpenAPI document describes them (the server
 * validates every request against it): unknown fields are refused, and so are
 * values of the wrong type; the message names the field.
 */
const stringMap = z.record(z.string(), z.string());
const uniqueStrings = (what: string) => z.array(z.string()).refine((items) => new Set(items).size === items.length, `${what} must not repeat an item`);
const location = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a cluster location is 1 to 64 letters, digits and . _ -');
/** n_workers: the schema allows null (EWMS picks); a number of workers is at least one. */
const workers = z.number().int().min(1, 'n_workers must be at least 1').max(10_000, 'n_workers is at most 10000').nullable();

const pilotConfig = z
  .object({
    tag: z.string().regex(/^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})|(latest)|([a-z0-9._-]+-[a-z0-9]{1,128})$/, "tag must be '#.#.#', 'latest' or a feature branch tag").optional(),
    image_source: z.enum(['cvmfs', 'auto']).optional(),
    environment: z.record(z.string(), z.union([z.string(), z.number().int(), z.array(z.string()).min(1)])).optional(),
    input_files: uniqueStrings('input_files').optional(),
  })
  .strict();

const workerConfig = z
  .object({
    do_transfer_worker_stdouterr: z.boolean(),
    max_worker_runtime: z.number().int().min(0, 'max_worker_runtime must not be negative'),
    n_cores: z.number().int().min(1, 'n_cores must be at least 1'),
    priority: z.number().int(),
    worker_disk: z.union([z.string(), z.number().int()]),
    worker_memory: z.union([z.string(), z.number().int().min(1)]),
    condor_requirements: z.string(),
  })
  .strict();

const task = z
  .object({
    cluster_locations: z.array(location).min(1, 'cluster_locations needs at least one location').refine((items) => new Set(items).size === items.length, 'cluster_locations must not repeat a location'),
    task_image: z.string(),
    task_args: z.string(),
    task_env: stringMap.optional(),
    init_image: z.string().optional(),
    init_args: z.string().optional(),
    init_env: stringMap.optional(),
    input_queue_aliases: uniqueStrings('input_queue_aliases'),
    output_queue_aliases: uniqueStrings('output_queue_aliases'),
    pilot_config: pilotConfig.optional(),
    worker_config: workerConfig,
    n_workers: workers.optional(),
  })
  .strict();

export const workflowBody = z
  .object({
    tasks: z.array(task).min(1, 'tasks needs at least one task'),
    public_queue_aliases: uniqueStrings('public_queue_aliases'),
    priority: z.number().int().optional(),
  })
  .strict();

export const addWorkersBody = z.object({ cluster_location: location, n_workers: workers }).strict();

export const findBody = z
  .object({
    query: z.record(z.string(), z.unknown(), { error: 'query must be an object (a MongoDB filter)' }),
    projection: z.array(z.string()).min(1, 'projection needs at least one field').optional(),
    after: z.string().optional(),
  })
  .strict();

export const condorSubmitBody = z
  .object({
    cluster_id: z.number().int(),
    n_workers: z.number().int().min(0),
    submit_dict: z.record(z.string(), z.union([z.string(), z.number().int()])),
    job_event_log_fpath: z.string(),
  })
  // The spec's body is a whole TaskforceObject; EWMS's TMS sends these four, and only these are read.
  .loose();

export const errorBody = z.object({ error: z.string().optional() }).strict();

export const condorCompleteBody = z.object({ condor_complete_ts: z.number().int() }).strict();

const counts = z.record(z.string(), z.number().int());
export const statusesBody = z
  .object({
    // As EWMS's schema: when given, each names at least one taskforce.
    top_task_errors_by_taskforce: z.record(z.string(), counts).refine((map) => Object.keys(map).length > 0, 'top_task_errors_by_taskforce must name at least one taskforce').optional(),
    compound_statuses_by_taskforce: z
      .record(z.string(), z.record(z.string(), counts))
      .refine((map) => Object.keys(map).length > 0, 'compound_statuses_by_taskforce must name at least one taskforce')
      .optional(),
  })
  .strict();

export const publishBody = z.object({ messages: z.array(z.unknown()).min(1, 'messages needs at least one message').max(1_000, 'at most 1000 messages at once') }).strict();

export const consumeBody = z
  .object({
    max_messages: z.number().int().min(1).max(1_000).optional(),
    visibility_timeout: z.number().positive().max(12 * 3600).optional(),
    wait: z.number().min(0).max(20).optional(),
    consumer: z.string().max(64).optional(),
  })
  .strict();

export const ackBody = z.object({ ack_ids: z.array(z.string()).max(1_000, 'at most 1000 ack ids at once') }).strict();
export const nackBody = z.object({ ack_ids: z.array(z.string()).max(1_000, 'at most 1000 ack ids at once'), delay: z.number().min(0).max(12 * 3600).optional() }).strict();

export const pilotStatusBody = z
  .object({ pilot_id: z.string().min(1), state: z.string().min(1).max(64), task_errors: counts.default({}), events_done: z.number().int().min(0).optional() })
  .strict();

/**
 * The JSON body of a request, parsed by `schema`. A POST without a body (EWMS's
 * clients send none when there are no arguments) reads as `{}`.
 */
export function ewmsBody<T extends z.ZodType>(body: unknown, schema: T): z.infer<T> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalidInput(`the body is not JSON: ${(error as Error).message}`);
    }
  }
  // With the input in each issue, a field of the wrong type is told apart from a missing one.
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') throw invalidInput(`${path ? `${path}: ` : ''}unknown field '${issue.keys[0]}'`);
    if (issue.code === 'invalid_type' && issue.input === undefined) throw invalidInput(`'${path}' is a required property`);
    throw invalidInput(`${path ? `${path}: ` : ''}${issue.message}`);
  }
  return parsed.data as z.infer<T>;
}
