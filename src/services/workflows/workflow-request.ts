import type { PilotConfig, WorkerConfig } from '../../core/workflow.js';

/** A task of a new workflow, as EWMS's POST /v1/workflows takes it (its dialect has checked the shape). */
export interface TaskRequest {
  cluster_locations: string[];
  task_image: string;
  task_args: string;
  task_env?: Record<string, string>;
  init_image?: string;
  init_args?: string;
  init_env?: Record<string, string>;
  input_queue_aliases: string[];
  output_queue_aliases: string[];
  pilot_config?: Partial<PilotConfig>;
  worker_config: WorkerConfig;
  n_workers?: number | null;
}

export interface WorkflowRequest {
  tasks: TaskRequest[];
  public_queue_aliases: string[];
  priority?: number;
}

export interface AddWorkersRequest {
  cluster_location: string;
  n_workers: number | null;
}
