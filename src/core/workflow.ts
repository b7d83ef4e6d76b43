/**
 * Event workflows, as EWMS models them: a workflow owns task directives (what to
 * run on each event, and which queues to read and write), and each directive has
 * taskforces (a set of workers, "pilots", at one cluster location). The
 * documents are kept in EWMS's own shapes, since its API answers with them and
 * queries them by field path.
 */

export const TASKFORCE_PHASES = [
  'pre-mq-activation',
  'pre-launch',
  'pending-starter',
  'condor-submit',
  'pending-stopper',
  'condor-rm',
  'condor-complete',
] as const;
export type TaskforcePhase = (typeof TASKFORCE_PHASES)[number];

/** Phases of a taskforce that is being stopped or has ended. */
export const ENDING_PHASES: readonly TaskforcePhase[] = ['pending-stopper', 'condor-rm', 'condor-complete'];

export type Deactivation = 'ABORTED' | 'FINISHED';

export interface WorkflowDoc {
  workflow_id: string;
  timestamp: number;
  priority: number;
  deactivated: Deactivation | null;
  deactivated_ts: number | null;
}

export interface TaskDirectiveDoc {
  task_id: string;
  workflow_id: string;
  cluster_locations: string[];
  task_image: string;
  task_args: string;
  task_env: Record<string, string>;
  init_image: string;
  init_args: string;
  init_env: Record<string, string>;
  timestamp: number;
  input_queues: string[];
  output_queues: string[];
}

export interface PilotConfig {
  tag: string;
  image_source: 'cvmfs' | 'auto';
  environment: Record<string, string | number | string[]>;
  input_files: string[];
}

export interface WorkerConfig {
  do_transfer_worker_stdouterr: boolean;
  max_worker_runtime: number;
  n_cores: number;
  priority: number;
  worker_disk: string | number;
  worker_memory: string | number;
  condor_requirements: string;
}

export interface PhaseChange {
  target_phase: TaskforcePhase;
  timestamp: number;
  was_successful: boolean;
  source_event_time: number | null;
  source_entity: string;
  context: string;
}

export interface TaskforceDoc {
  taskforce_uuid: string;
  task_id: string;
  workflow_id: string;
  timestamp: number;
  priority: number;
  collector: null;
  schedd: string;
  n_workers: number | null;
  pilot_config: PilotConfig;
  worker_config: WorkerConfig;
  cluster_id: number | null;
  submit_dict: Record<string, string | number>;
  job_event_log_fpath: string;
  phase: TaskforcePhase;
  phase_change_log: PhaseChange[];
  /** Worker counts by status, then by pilot state: `{"running": {"tasking": 2}}`. */
  compound_statuses: Record<string, Record<string, number>>;
  /** Counts of the most frequent task errors, by error text. */
  top_task_errors: Record<string, number>;
}

/** The three collections EWMS queries. */
export type WorkflowCollection = 'workflows' | 'task-directives' | 'taskforces';

/** EWMS's ids: `WF-<hex epoch seconds>-<8 hex>`, and task and taskforce ids built on their parent's. */
export function newWorkflowId(now: number, random: () => string): string {
  return `WF-${Math.floor(now / 1000).toString(16)}-${random()}`;
}

export function newTaskId(workflowId: string, random: () => string): string {
  return `TK-${workflowId.replace(/^WF-/, '')}-${random()}`;
}

export function newTaskforceUuid(taskId: string, random: () => string): string {
  return `TF-${taskId.replace(/^TK-/, '')}-${random()}`;
}

/**
 * The taskforce after an attempt to move it to `change.target_phase`: logged
 * either way (EWMS logs failed attempts too), and moved when it succeeded.
 */
export function withPhaseChange(taskforce: TaskforceDoc, change: Omit<PhaseChange, 'timestamp'> & { timestamp?: number }, now: number): TaskforceDoc {
  const entry: PhaseChange = { ...change, timestamp: change.timestamp ?? now / 1000 };
  return {
    ...taskforce,
    phase: change.was_successful ? change.target_phase : taskforce.phase,
    phase_change_log: [...taskforce.phase_change_log, entry],
  };
}

/** Failed attempts to reach `phase` so far (the external TMS's retries are counted by these). */
export function failedAttempts(taskforce: TaskforceDoc, phase: TaskforcePhase): number {
  return taskforce.phase_change_log.filter((entry) => entry.target_phase === phase && !entry.was_successful).length;
}

/** The cluster location a taskforce runs at is named by its schedd: `gantry@<location>` for Gantry's own nodes. */
export const BUILT_IN_SCHEDD_PREFIX = 'gantry@';

/** The task queue the pilots of a location wait in: nodes labelled with that location serve it. */
export function pilotQueueOf(location: string): string {
  return `ewms@${location}`;
}
