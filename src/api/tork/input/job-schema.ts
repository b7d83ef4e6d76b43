import { z } from 'zod';
import type {
  PipelineAuxTask,
  PipelineDefaults,
  PipelineSidecar,
  PipelineTask,
  PipelineWebhook,
} from '../../../core/pipeline.js';
import {
  integer,
  optional,
  optionalBoolean,
  optionalInteger,
  optionalText,
  optionalTextList,
  optionalTextMap,
  strictMapping,
  text,
} from './schema-scalars.js';

/*
 * The shape of Tork's submission bodies (runabol/tork input/job.go, input/task.go):
 * field names, types, required fields and unknown-field rejection. Ranges,
 * formats and cross-field rules are in validate-job.ts, where messages can be
 * specific.
 */

const registry = optional(strictMapping({ username: optionalText, password: optionalText }));

const retry = optional(strictMapping({ limit: integer }));

const limits = optional(strictMapping({ cpus: optionalText, memory: optionalText }));

const autoDelete = optional(strictMapping({ after: text }));

const auxFields = {
  name: text,
  description: optionalText,
  cmd: optionalTextList,
  entrypoint: optionalTextList,
  run: optionalText,
  image: optionalText,
  registry,
  env: optionalTextMap,
  files: optionalTextMap,
  timeout: optionalText,
};

const auxTask: z.ZodType<PipelineAuxTask> = strictMapping(auxFields);

const sidecar: z.ZodType<PipelineSidecar> = strictMapping({
  ...auxFields,
  probe: optional(strictMapping({ path: text, port: integer, timeout: optionalText })),
});

const mount = strictMapping({
  type: z.preprocess((value) => (value === null || value === '' ? undefined : value), z.enum(['volume', 'bind', 'tmpfs'])),
  source: optionalText,
  target: optionalText,
  opts: optionalTextMap,
});

const webhook: z.ZodType<PipelineWebhook> = strictMapping({
  url: text,
  headers: optionalTextMap,
  event: optionalText,
  if: optionalText,
});

const list = <T extends z.ZodType>(item: T) => optional(z.array(item));

/** One task; nested tasks (`parallel`, `each`, `subjob`) use the same schema. */
export const taskSchema: z.ZodType<PipelineTask> = z.lazy(() =>
  strictMapping({
    name: text,
    description: optionalText,
    cmd: optionalTextList,
    entrypoint: optionalTextList,
    run: optionalText,
    image: optionalText,
    registry,
    env: optionalTextMap,
    files: optionalTextMap,
    queue: optionalText,
    pre: list(auxTask),
    post: list(auxTask),
    sidecars: list(sidecar),
    mounts: list(mount),
    networks: optionalTextList,
    retry,
    limits,
    timeout: optionalText,
    var: optionalText,
    if: optionalText,
    parallel: optional(strictMapping({ tasks: z.preprocess((value) => value ?? undefined, z.array(taskSchema)) })),
    each: optional(
      strictMapping({
        var: optionalText,
        list: text,
        task: z.preprocess((value) => value ?? undefined, taskSchema),
        concurrency: optionalInteger,
      }),
    ),
    subjob: optional(
      strictMapping({
        name: text,
        description: optionalText,
        tasks: z.preprocess((value) => value ?? undefined, z.array(taskSchema)),
        inputs: optionalTextMap,
        secrets: optionalTextMap,
        autoDelete,
        output: optionalText,
        detached: optionalBoolean,
        webhooks: list(webhook),
      }),
    ),
    gpus: optionalText,
    tags: optionalTextList,
    workdir: optionalText,
    priority: optionalInteger,
  }),
);

const defaults: z.ZodType<PipelineDefaults | undefined> = optional(
  strictMapping({ retry, limits, timeout: optionalText, queue: optionalText, priority: optionalInteger }),
);

const jobFields = {
  name: text,
  description: optionalText,
  tags: optionalTextList,
  tasks: z.preprocess((value) => value ?? undefined, z.array(taskSchema)),
  inputs: optionalTextMap,
  secrets: optionalTextMap,
  output: optionalText,
  defaults,
  webhooks: list(webhook),
  permissions: list(strictMapping({ user: optionalText, role: optionalText })),
  autoDelete,
};

/** The body of `POST /jobs`: a job plus an optional `wait`. */
export const jobSubmissionSchema = strictMapping({
  ...jobFields,
  wait: optional(strictMapping({ timeout: text })),
});

/** The body of `POST /scheduled-jobs`: a job plus its required `schedule`. */
export const scheduledJobSubmissionSchema = strictMapping({
  ...jobFields,
  schedule: z.preprocess((value) => value ?? undefined, strictMapping({ cron: text })),
});

export type JobSubmissionInput = z.output<typeof jobSubmissionSchema>;
export type ScheduledJobSubmissionInput = z.output<typeof scheduledJobSubmissionSchema>;
