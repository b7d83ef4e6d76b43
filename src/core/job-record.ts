/**
 * Monitoring records of jobs a batch system ran (ClusterCockpit's jobs): kind
 * `external` jobs, recorded by the system's adapter when they start and stop,
 * then tagged, annotated and studied. Times are seconds since the epoch, as the
 * adapters send them.
 */
import type { JobState } from './states.js';

/** The job states batch systems report (ClusterCockpit's `schema.JobState`). */
export const RECORD_STATES = ['boot_fail', 'cancelled', 'completed', 'deadline', 'failed', 'node_fail', 'out_of_memory', 'pending', 'preempted', 'running', 'suspended', 'timeout'] as const;
export type RecordState = (typeof RECORD_STATES)[number];

export function isRecordState(value: unknown): value is RecordState {
  return typeof value === 'string' && (RECORD_STATES as readonly string[]).includes(value);
}

/** The core state a record's job is in. */
export function jobStateOfRecord(state: RecordState): JobState {
  switch (state) {
    case 'pending':
      return 'pending';
    case 'running':
    case 'suspended':
      return 'running';
    case 'completed':
      return 'completed';
    case 'cancelled':
    case 'preempted':
      return 'cancelled';
    default:
      return 'failed';
  }
}

export interface RecordResource {
  hostname: string;
  hwthreads?: number[];
  accelerators?: string[];
  configuration?: string;
}

/** Tag scopes: `global`, `admin`, or a user's name (a private tag). */
export interface RecordTag {
  id: number;
  type: string;
  name: string;
  scope: string;
}

export interface JobRecord {
  /** The record's numeric id (its job's). */
  id: number;
  /** Its job's id. */
  jobRef: string;
  batchJobId: number;
  user: string;
  project: string;
  cluster: string;
  subCluster: string;
  partition: string | null;
  arrayJobId: number | null;
  numNodes: number;
  numHwthreads: number;
  numAcc: number;
  shared: string;
  walltime: number;
  smt: number | null;
  submitTime: number | null;
  startTime: number;
  /** Seconds it ran (0 while it runs). */
  duration: number;
  state: RecordState;
  monitoringStatus: number;
  requestedMemory: number | null;
  energy: number | null;
  resources: RecordResource[];
  metaData: Record<string, string>;
  footprint: Record<string, number> | null;
  energyFootprint: Record<string, number> | null;
}

/** What a batch system's adapter reports when a job starts. */
export type NewJobRecord = Omit<JobRecord, 'id' | 'jobRef' | 'duration' | 'state' | 'monitoringStatus' | 'subCluster'> & {
  subCluster?: string;
  tags: Array<Pick<RecordTag, 'type' | 'name' | 'scope'>>;
};

/** Two starts of the same batch job id on the same cluster less than this apart are one job reported twice. */
export const DUPLICATE_WINDOW_SECONDS = 86_400;

/** ClusterCockpit's monitoring status of a running job (archiving when it stops). */
export const MONITORING_RUNNING_OR_ARCHIVING = 1;
export const MONITORING_ARCHIVED = 2;
