/**
 * The definition of a `pipeline` job: an ordered list of tasks, some of which fan
 * out (`parallel`, `each`) or start a child job (`subjob`). The Tork dialect parses
 * YAML/JSON into this shape; the core runs it. Field names follow Tork because they
 * are the vocabulary pipeline users already know. String fields may hold `{{ … }}`
 * expressions that are evaluated when the task is scheduled.
 */

/** Resource limits as written by users: `cpus` like "0.5", `memory` like "100m" or "1g". */
export interface PipelineLimits {
  cpus?: string;
  memory?: string;
}

export interface PipelineRetry {
  /** How many times a failed task is tried again (1..10). */
  limit: number;
}

export interface PipelineMount {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target?: string;
  opts?: Record<string, string>;
}

export interface PipelineRegistry {
  username?: string;
  password?: string;
}

/** A `pre` or `post` task: runs in the same work area as its main task. */
export interface PipelineAuxTask {
  name: string;
  description?: string;
  image?: string;
  run?: string;
  cmd?: string[];
  entrypoint?: string[];
  registry?: PipelineRegistry;
  env?: Record<string, string>;
  files?: Record<string, string>;
  /** Go duration, e.g. "5s". */
  timeout?: string;
}

export interface PipelineProbe {
  path: string;
  port: number;
  timeout?: string;
}

export interface PipelineSidecar extends PipelineAuxTask {
  probe?: PipelineProbe;
}

export interface PipelineWebhook {
  url: string;
  headers?: Record<string, string>;
  /** `job.StateChange` (default), `job.Progress`, `task.StateChange` or `task.Progress`. */
  event?: string;
  /** Expression; the webhook is called only when it is true. */
  if?: string;
}

export interface PipelinePermission {
  user?: string;
  role?: string;
}

export interface PipelineEach {
  /** Expression that evaluates to a list. */
  list: string;
  task: PipelineTask;
  /** Name the item is exposed under (`<var>.index`, `<var>.value`); default `item`. */
  var?: string;
  /** At most this many items run at once; 0 means no limit. */
  concurrency?: number;
}

export interface PipelineSubjob {
  name: string;
  description?: string;
  tasks: PipelineTask[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  autoDelete?: { after: string };
  output?: string;
  /** A detached subjob is started and then left to run on its own. */
  detached?: boolean;
  webhooks?: PipelineWebhook[];
}

export interface PipelineTask {
  name: string;
  description?: string;
  image?: string;
  run?: string;
  cmd?: string[];
  entrypoint?: string[];
  registry?: PipelineRegistry;
  env?: Record<string, string>;
  files?: Record<string, string>;
  queue?: string;
  pre?: PipelineAuxTask[];
  post?: PipelineAuxTask[];
  sidecars?: PipelineSidecar[];
  mounts?: PipelineMount[];
  networks?: string[];
  retry?: PipelineRetry;
  limits?: PipelineLimits;
  timeout?: string;
  var?: string;
  if?: string;
  parallel?: { tasks: PipelineTask[] };
  each?: PipelineEach;
  subjob?: PipelineSubjob;
  gpus?: string;
  tags?: string[];
  workdir?: string;
  priority?: number;
}

export interface PipelineDefaults {
  retry?: PipelineRetry;
  limits?: PipelineLimits;
  timeout?: string;
  queue?: string;
  priority?: number;
}

export interface PipelineDefinition {
  name: string;
  description?: string;
  tags?: string[];
  tasks: PipelineTask[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  output?: string;
  defaults?: PipelineDefaults;
  webhooks?: PipelineWebhook[];
  permissions?: PipelinePermission[];
  autoDelete?: { after: string };
}

/**
 * The task fields whose `{{ … }}` expressions are evaluated when the task is
 * created, as Tork does; other strings (`run`, `files`, …) are passed through
 * untouched, so a script may contain `{{` (a Go template, say) of its own.
 * `if` and `each.list` are evaluated on their own, and also accept a bare
 * expression without braces.
 */
export const TEMPLATED_TASK_FIELDS = ['name', 'var', 'image', 'queue', 'env', 'cmd'] as const;

/**
 * The subjob fields evaluated, in the parent's context, when the subjob starts;
 * of its webhooks, only `url` and `headers` (TEMPLATED_WEBHOOK_FIELDS) are.
 */
export const TEMPLATED_SUBJOB_FIELDS = ['name', 'inputs', 'secrets'] as const;

/** The webhook fields whose `{{ … }}` are evaluated (a webhook's `if` is a condition of its own). */
export const TEMPLATED_WEBHOOK_FIELDS = ['url', 'headers'] as const;

/**
 * The names a pipeline's expressions read: Tork's job context. Inside an `each`,
 * its item is readable too, under `each.var` (default `item`).
 */
export const PIPELINE_EXPRESSION_NAMES = ['inputs', 'secrets', 'tasks', 'job'] as const;

/** The name an `each` item is read under when `each.var` is not set. */
export const DEFAULT_EACH_VAR = 'item';

/** The names a webhook's `if` reads: the job, and for task events the task. */
export const WEBHOOK_CONDITION_NAMES = ['job', 'task'] as const;
