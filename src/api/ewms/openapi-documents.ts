import { TASKFORCE_PHASES } from '../../core/workflow.js';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it) or any part of an OpenAPI document. */
export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** `schema`, or null. Written as EWMS writes its nullable fields, so that the shapes compare one to one. */
export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });

const strings = (description: string): Schema => ({ type: 'array', uniqueItems: true, description, items: { type: 'string' } });
const stringMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string' } });
export const counts = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'integer' } });

/** What bodies.ts accepts as a cluster location. */
const location: Schema = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'A cluster location: a Gantry worker label `location`, or a location of a task management service outside Gantry.' };
const nWorkers: Schema = nullable({ type: 'integer', minimum: 1, maximum: 10_000, description: 'How many workers (pilots) the new taskforce runs; null (or, in a task, left out) means one.' });

const pilotConfig: Schema = {
  type: 'object',
  description: 'How the pilots of the taskforce are run.',
  properties: {
    tag: { type: 'string', pattern: '^([0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})|(latest)|([a-z0-9._-]+-[a-z0-9]{1,128})$', description: "The pilot image's tag: '#.#.#', 'latest' or a feature-branch tag (defaults to 'latest')." },
    image_source: { type: 'string', enum: ['cvmfs', 'auto'], description: 'Where the pilot image comes from; taskforces are always made with `cvmfs`.' },
    environment: {
      type: 'object',
      description: "Extra environment of the pilot. The names of the task directive's own fields (EWMS_PILOT_TASK_IMAGE and the like) are refused.",
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] },
    },
    input_files: strings('Files handed to the task container.'),
  },
  required: ['tag', 'image_source', 'environment', 'input_files'],
  additionalProperties: false,
};

const workerConfig: Schema = {
  type: 'object',
  description: "What each worker of the taskforce asks of its cluster (HTCondor's submit settings for an outside TMS).",
  properties: {
    do_transfer_worker_stdouterr: { type: 'boolean', description: "Whether the workers' stdout and stderr are kept." },
    max_worker_runtime: { type: 'integer', minimum: 0, description: 'Seconds a worker may run at most.' },
    n_cores: { type: 'integer', minimum: 1, description: 'CPU cores per worker.' },
    priority: { type: 'integer', description: 'Priority of the submission within its cluster.' },
    worker_disk: { anyOf: [{ type: 'string', description: "Disk per worker, with a unit ('8G')." }, { type: 'integer', description: 'Disk per worker, in bytes.' }] },
    worker_memory: { anyOf: [{ type: 'string', description: "Memory per worker, with a unit ('4G')." }, { type: 'integer', minimum: 1, description: 'Memory per worker, in bytes.' }] },
    condor_requirements: { type: 'string', description: 'An HTCondor requirements expression for the workers (empty for none).' },
  },
  required: ['do_transfer_worker_stdouterr', 'max_worker_runtime', 'n_cores', 'priority', 'worker_disk', 'worker_memory', 'condor_requirements'],
  additionalProperties: false,
};

const phaseChange: Schema = {
  type: 'object',
  description: 'One attempt to move the taskforce to another phase.',
  properties: {
    target_phase: { type: 'string', description: 'The phase the taskforce was to move to.' },
    timestamp: { type: 'number', description: 'When the attempt was recorded (epoch seconds).' },
    was_successful: { type: 'boolean', description: 'Whether the taskforce did move.' },
    source_event_time: nullable({ type: 'number', description: 'When the event behind the attempt happened (epoch seconds), when one is known.' }),
    source_entity: { type: 'string', description: "Who asked for the move: 'USER', 'TMS', 'User', 'Taskforce Launch Control', …" },
    context: { type: 'string', description: 'Why, in words (an error message for a failed attempt).' },
  },
  required: ['target_phase', 'timestamp', 'was_successful', 'source_event_time', 'source_entity', 'context'],
  additionalProperties: false,
};

/** The documents of EWMS's workflow API: the field names and types are EWMS's, which its clients rely on. */
export const DOCUMENT_SCHEMAS: Record<string, Schema> = {
  WorkflowObject: {
    type: 'object',
    description: 'A workflow: the task directives made with it, their queues and taskforces belong to it. A query with a projection answers only the fields asked for.',
    properties: {
      workflow_id: { type: 'string', description: 'The workflow\'s id (`WF-…`), made by the server.' },
      timestamp: { type: 'number', description: 'When the workflow was made (epoch seconds).' },
      priority: { type: 'integer', description: 'Priority among workflows; its taskforces inherit it.' },
      deactivated: nullable({ type: 'string', enum: ['ABORTED', 'FINISHED'], description: 'How the workflow was ended; null while it is active.' }),
      deactivated_ts: nullable({ type: 'number', description: 'When the workflow was ended (epoch seconds); null while it is active.' }),
    },
    additionalProperties: false,
  },
  TaskDirectiveObject: {
    type: 'object',
    description: 'A task directive: what runs on each event of its input queues, and where.',
    properties: {
      task_id: { type: 'string', description: 'The task directive\'s id (`TK-…`), made by the server.' },
      workflow_id: { type: 'string', description: 'The workflow it belongs to.' },
      cluster_locations: { ...strings('The cluster locations it runs at: one taskforce is made for each.'), items: location, minItems: 1 },
      task_image: { type: 'string', description: 'The container image run on each event.' },
      task_args: { type: 'string', description: 'The arguments of the task image.' },
      task_env: stringMap('Environment of the task container.'),
      init_image: { type: 'string', description: 'An image each worker runs once before its first event (empty for none).' },
      init_args: { type: 'string', description: 'The arguments of the init image.' },
      init_env: stringMap('Environment of the init container.'),
      timestamp: { type: 'number', description: 'When the task directive was made (epoch seconds).' },
      input_queues: strings('Ids of the queues its events are read from.'),
      output_queues: strings('Ids of the queues its results are written to.'),
    },
    additionalProperties: false,
  },
  TaskforceObject: {
    type: 'object',
    description: "A taskforce: the workers of one task directive at one cluster location, and what is known of them. Gantry starts and stops the taskforces of its own workers' locations itself; those of other locations are left to a task management service (the /v1/tms routes).",
    properties: {
      taskforce_uuid: { type: 'string', description: 'The taskforce\'s id (`TF-…`), made by the server.' },
      task_id: { type: 'string', description: 'The task directive it runs.' },
      workflow_id: { type: 'string', description: 'The workflow of its task directive.' },
      timestamp: { type: 'number', description: 'When the taskforce was made (epoch seconds).' },
      priority: { type: 'integer', description: "Priority among taskforces: the workflow's, raised for taskforces added later so they start first." },
      collector: nullable({ type: 'string', deprecated: true, description: 'No longer used; always null.' }),
      schedd: { type: 'string', description: "Who starts it: the schedd a task management service polls for, or `gantry@<location>` for Gantry's own workers." },
      n_workers: nullable({ type: 'integer', description: 'How many workers it runs; set by the task management service when it submits.' }),
      pilot_config: pilotConfig,
      worker_config: workerConfig,
      cluster_id: nullable({ type: 'integer', description: 'The HTCondor cluster of its workers, once submitted.' }),
      submit_dict: { type: 'object', description: 'The submit description the task management service used.', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      job_event_log_fpath: { type: 'string', description: "Where the submission's job event log is (empty until submitted)." },
      phase: { type: 'string', enum: [...TASKFORCE_PHASES], description: 'Where the taskforce is in its life; not every taskforce passes every phase.' },
      phase_change_log: { type: 'array', description: 'Every attempt to change the phase, failed ones too, oldest first.', items: phaseChange },
      compound_statuses: {
        type: 'object',
        description: 'Worker counts by cluster status, then by pilot state: `{"RUNNING": {"Tasking": 2}}`.',
        additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
      },
      top_task_errors: counts('The most frequent task errors, with how often each was seen.'),
    },
    additionalProperties: false,
  },
  FindObject: {
    type: 'object',
    description: 'A query of one collection.',
    properties: {
      query: { type: 'object', description: 'A filter in MongoDB syntax over the documents\' fields (`{"workflow_id": "WF-…", "priority": {"$gte": 10}}`).' },
      projection: { type: 'array', description: 'The fields to answer with (dotted paths); all when left out.', items: { type: 'string' }, minItems: 1 },
      after: { type: 'string', description: "Where the previous page ended: its answer's `next_after`." },
    },
    required: ['query'],
    additionalProperties: false,
  },
  QueryNextAfter: nullable({ type: 'string', description: 'Pass this as `after` for the next page; null when this page is the last.' }),
  DeactivatedWorkflowResponseObject: {
    type: 'object',
    description: 'A workflow that was ended.',
    properties: {
      workflow_id: { type: 'string', description: 'The workflow.' },
      n_taskforces: { type: 'integer', description: 'How many of its taskforces are being stopped.' },
    },
    required: ['workflow_id', 'n_taskforces'],
    additionalProperties: false,
  },
  ErrorResponse: {
    type: 'object',
    description: 'Every error answer of these routes.',
    properties: {
      code: { type: 'integer', description: 'The HTTP status, repeated.' },
      error: { type: 'string', description: 'What went wrong, in words.' },
    },
    required: ['code', 'error'],
    additionalProperties: false,
  },
};

/** A task of POST /v1/workflows: a task directive's fields, with queue aliases for queue ids, and its taskforces' settings. */
const TASK_REQUEST: Schema = {
  type: 'object',
  properties: {
    cluster_locations: { $ref: '#/components/schemas/TaskDirectiveObject/properties/cluster_locations' },
    task_image: { $ref: '#/components/schemas/TaskDirectiveObject/properties/task_image' },
    task_args: { $ref: '#/components/schemas/TaskDirectiveObject/properties/task_args' },
    task_env: { $ref: '#/components/schemas/TaskDirectiveObject/properties/task_env' },
    init_image: { $ref: '#/components/schemas/TaskDirectiveObject/properties/init_image' },
    init_args: { $ref: '#/components/schemas/TaskDirectiveObject/properties/init_args' },
    init_env: { $ref: '#/components/schemas/TaskDirectiveObject/properties/init_env' },
    input_queue_aliases: { type: 'array', uniqueItems: true, items: { type: 'string' }, description: 'Names of the queues the task reads; each distinct alias of the workflow becomes one queue.' },
    output_queue_aliases: { type: 'array', uniqueItems: true, items: { type: 'string' }, description: 'Names of the queues the task writes.' },
    pilot_config: {
      type: 'object',
      description: "Pilot settings; any left out take their defaults ('latest', `cvmfs`, none, none).",
      properties: Object.fromEntries(['tag', 'image_source', 'environment', 'input_files'].map((name) => [name, { $ref: `#/components/schemas/TaskforceObject/properties/pilot_config/properties/${name}` }])),
      additionalProperties: false,
    },
    worker_config: { $ref: '#/components/schemas/TaskforceObject/properties/worker_config' },
    n_workers: nWorkers,
  },
  required: ['cluster_locations', 'task_image', 'task_args', 'input_queue_aliases', 'output_queue_aliases', 'worker_config'],
  additionalProperties: false,
};

/** The body of POST /v1/workflows. */
export const WORKFLOW_REQUEST: Schema = {
  type: 'object',
  properties: {
    tasks: { type: 'array', items: TASK_REQUEST, minItems: 1, description: 'The task directives to make: one taskforce for each of their cluster locations.' },
    public_queue_aliases: { type: 'array', uniqueItems: true, items: { type: 'string' }, description: "The tasks' queue aliases the workflow's owner may publish to and consume from." },
    priority: { type: 'integer', description: 'Priority among workflows (50 when left out).' },
  },
  required: ['tasks', 'public_queue_aliases'],
  additionalProperties: false,
};

/** The body of POST /v1/task-directives/{task_id}/actions/add-workers. */
export const ADD_WORKERS_REQUEST: Schema = {
  type: 'object',
  properties: {
    cluster_location: { $ref: '#/components/schemas/TaskDirectiveObject/properties/cluster_locations/items' },
    n_workers: nWorkers,
  },
  required: ['cluster_location', 'n_workers'],
  additionalProperties: false,
};
