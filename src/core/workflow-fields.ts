import type { WorkflowCollection } from './workflow.js';

/**
 * The fields of EWMS's documents that a query or a projection may name, as the
 * EWMS OpenAPI document describes them (components.schemas WorkflowObject,
 * TaskDirectiveObject, TaskforceObject; all three forbid additional properties).
 */

/**
 * How a field is shaped, which decides what may follow it in a dotted path:
 * `scalar` nothing; `map` (a free-form object) any keys, to any depth; `scalars`
 * (an array of scalars) an array position; `object` one of its own keys;
 * `objects` (an array of objects) an array position or a key of its elements.
 */
export type FieldShape = 'scalar' | 'map' | 'scalars' | { readonly object: FieldTable } | { readonly objects: FieldTable };

export type FieldTable = Readonly<Record<string, FieldShape>>;

const PILOT_CONFIG: FieldTable = {
  tag: 'scalar',
  image_source: 'scalar',
  environment: 'map',
  input_files: 'scalars',
};

const WORKER_CONFIG: FieldTable = {
  do_transfer_worker_stdouterr: 'scalar',
  max_worker_runtime: 'scalar',
  n_cores: 'scalar',
  priority: 'scalar',
  worker_disk: 'scalar',
  worker_memory: 'scalar',
  condor_requirements: 'scalar',
};

const PHASE_CHANGE: FieldTable = {
  target_phase: 'scalar',
  timestamp: 'scalar',
  was_successful: 'scalar',
  source_event_time: 'scalar',
  source_entity: 'scalar',
  context: 'scalar',
};

export const WORKFLOW_FIELDS: Readonly<Record<WorkflowCollection, FieldTable>> = {
  workflows: {
    workflow_id: 'scalar',
    timestamp: 'scalar',
    priority: 'scalar',
    deactivated: 'scalar',
    deactivated_ts: 'scalar',
  },
  'task-directives': {
    task_id: 'scalar',
    workflow_id: 'scalar',
    cluster_locations: 'scalars',
    task_image: 'scalar',
    task_args: 'scalar',
    task_env: 'map',
    init_image: 'scalar',
    init_args: 'scalar',
    init_env: 'map',
    timestamp: 'scalar',
    input_queues: 'scalars',
    output_queues: 'scalars',
  },
  taskforces: {
    taskforce_uuid: 'scalar',
    task_id: 'scalar',
    workflow_id: 'scalar',
    timestamp: 'scalar',
    priority: 'scalar',
    collector: 'scalar',
    schedd: 'scalar',
    n_workers: 'scalar',
    pilot_config: { object: PILOT_CONFIG },
    worker_config: { object: WORKER_CONFIG },
    cluster_id: 'scalar',
    submit_dict: 'map',
    job_event_log_fpath: 'scalar',
    phase: 'scalar',
    phase_change_log: { objects: PHASE_CHANGE },
    // Worker counts by HTCondor status, then by pilot state.
    compound_statuses: 'map',
    // Counts by error text.
    top_task_errors: 'map',
  },
};

/** One step down a document: an object's key or an array's position. */
export type PathStep = { readonly key: string } | { readonly index: number };

/**
 * A resolved field path. A plain path is one list of steps; each further list is
 * taken inside every element of the array of objects the previous one ends at, as
 * MongoDB walks `phase_change_log.target_phase`.
 */
export type FieldPath = readonly (readonly PathStep[])[];

// Positions beyond any array EWMS keeps; the bound keeps them plain integers.
const ARRAY_POSITION = /^(0|[1-9][0-9]{0,5})$/;

/**
 * The path a dotted field name stands for in a collection's documents, or
 * undefined when the documents have no such field.
 */
export function resolveFieldPath(collection: WorkflowCollection, dotted: string): FieldPath | undefined {
  const segments = dotted.split('.');
  if (segments.some((segment) => segment === '')) return undefined;
  const hops: PathStep[][] = [[]];
  let shape: FieldShape = { object: WORKFLOW_FIELDS[collection] };
  for (const segment of segments) {
    const hop = hops[hops.length - 1]!;
    if (shape === 'scalar') return undefined;
    if (shape === 'map') {
      hop.push({ key: segment });
      continue;
    }
    const position = ARRAY_POSITION.test(segment) ? Number(segment) : undefined;
    if (shape === 'scalars') {
      if (position === undefined) return undefined;
      hop.push({ index: position });
      shape = 'scalar';
      continue;
    }
    if ('objects' in shape) {
      const elements: FieldTable = shape.objects;
      shape = { object: elements };
      if (position !== undefined) {
        hop.push({ index: position });
        continue;
      }
      hops.push([]);
    }
    const table: FieldTable = shape.object;
    const next = Object.hasOwn(table, segment) ? table[segment] : undefined;
    if (next === undefined) return undefined;
    hops[hops.length - 1]!.push({ key: segment });
    shape = next;
  }
  return hops;
}
