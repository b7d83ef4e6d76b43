import { z } from 'zod';
import { invalidInput } from '../../core/errors.js';
import type { NewJobRecord } from '../../core/job-record.js';

/**
 * ClusterCockpit's request bodies. As cc-backend decodes them, a field it does
 * not know is an error (`json: unknown field "x"`), and so is a value of the
 * wrong type; the message names the field.
 */
const int = z.number().int();
const stringMap = z.record(z.string(), z.string());

const resource = z
  .object({
    hostname: z.string(),
    hwthreads: z.array(int).optional(),
    accelerators: z.array(z.string()).optional(),
    configuration: z.string().optional(),
  })
  .strict();

const tag = z
  .object({
    id: int.optional(),
    type: z.string().min(1, 'a tag needs a type'),
    name: z.string().min(1, 'a tag needs a name'),
    scope: z.string().default('global'),
  })
  .strict();

/** The start_job payload: ClusterCockpit's schema.Job (job-meta.schema.json), plus the older `exclusive`. */
const startJob = z
  .object({
    jobId: int,
    user: z.string(),
    project: z.string().default(''),
    cluster: z.string().min(1, 'cluster is required'),
    subCluster: z.string().optional(),
    partition: z.string().optional(),
    arrayJobId: int.optional(),
    numNodes: int,
    numHwthreads: int.default(0),
    numAcc: int.default(0),
    shared: z.enum(['none', 'single_user', 'multi_user']).optional(),
    exclusive: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    monitoringStatus: int.optional(),
    smt: int.optional(),
    walltime: int.default(0),
    jobState: z.string().optional(),
    startTime: int,
    duration: int.optional(),
    submitTime: int.optional(),
    requestedMemory: int.optional(),
    resources: z.array(resource),
    metaData: stringMap.default({}),
    tags: z.array(tag).default([]),
    id: int.optional(),
    energy: z.number().optional(),
    energyFootprint: z.record(z.string(), z.number()).optional(),
    footprint: z.record(z.string(), z.number()).optional(),
    statistics: z.record(z.string(), z.unknown()).optional(),
    concurrentJobs: z.unknown().optional(),
  })
  .strict();

const EXCLUSIVE_TO_SHARED = { 0: 'multi_user', 1: 'none', 2: 'single_user' } as const;

export const stopJob = z
  .object({
    jobId: int.optional(),
    cluster: z.string().optional(),
    startTime: int.optional(),
    jobState: z.string().optional(),
    stopTime: int,
  })
  .strict();

export const tagList = z.array(tag);

export const metricNames = z.array(z.string());

export const nodeStates = z
  .object({
    cluster: z.string().min(1, 'cluster is required'),
    nodes: z.array(
      z
        .object({
          hostname: z.string().min(1, 'a node needs its hostname'),
          states: z.array(z.string()).default([]),
          cpusAllocated: int.default(0),
          memoryAllocated: int.default(0),
          gpusAllocated: int.default(0),
          jobsRunning: int.default(0),
        })
        .strict(),
    ),
  })
  .strict();

export const editMeta = z.object({ key: z.string().min(1, 'key is required'), value: z.string() }).strict();

export const editMetaByRequest = z
  .object({
    jobId: int.optional(),
    cluster: z.string().optional(),
    startTime: int.optional(),
    payload: z.array(editMeta),
  })
  .strict();

export const deleteJob = z.object({ jobId: int.optional(), cluster: z.string().optional(), startTime: int.optional() }).strict();

/** The JSON body of a request, parsed by `schema`; bad JSON and bad fields are 400 with cc-backend's leading words. */
export function parseBody<T extends z.ZodType>(body: unknown, schema: T, what = 'parsing request body failed'): z.infer<T> {
  let value: unknown;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  try {
    value = text === undefined || text.trim() === '' ? undefined : JSON.parse(text);
  } catch (error) {
    throw invalidInput(`${what}: ${(error as Error).message}`);
  }
  if (value === undefined) throw invalidInput(`${what}: the body is empty`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') throw invalidInput(`${what}: json: unknown field "${issue.keys[0]}"${path ? ` in ${path}` : ''}`);
    throw invalidInput(`${what}: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  return parsed.data as z.infer<T>;
}

export function startJobRecord(body: unknown): NewJobRecord {
  const job = parseBody(body, startJob);
  return {
    batchJobId: job.jobId,
    user: job.user,
    project: job.project,
    cluster: job.cluster,
    subCluster: job.subCluster,
    partition: job.partition ?? null,
    arrayJobId: job.arrayJobId ?? null,
    numNodes: job.numNodes,
    numHwthreads: job.numHwthreads,
    numAcc: job.numAcc,
    shared: job.shared ?? (job.exclusive !== undefined ? EXCLUSIVE_TO_SHARED[job.exclusive] : 'none'),
    walltime: job.walltime,
    smt: job.smt ?? null,
    submitTime: job.submitTime ?? null,
    startTime: job.startTime,
    requestedMemory: job.requestedMemory ?? null,
    energy: job.energy ?? null,
    resources: job.resources,
    metaData: job.metaData,
    footprint: job.footprint ?? null,
    energyFootprint: job.energyFootprint ?? null,
    tags: job.tags.map((t) => ({ type: t.type, name: t.name, scope: t.scope })),
  };
}
