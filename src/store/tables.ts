import type { ColumnType, Generated } from 'kysely';

/**
 * Row shapes of every table. Times are epoch milliseconds; JSON columns hold text
 * (SQLite has no JSON type and we keep one representation for both databases).
 */

export interface JobRow {
  num_id: Generated<number>;
  id: string;
  kind: string;
  owner: string;
  name: string;
  description: string | null;
  state: string;
  priority: number;
  queue: string;
  tags: string;
  definition: string;
  inputs: string;
  secrets: string;
  context: string;
  position: number;
  task_count: number;
  result: string | null;
  error: string | null;
  progress: number;
  parent_job_id: string | null;
  parent_task_id: string | null;
  scheduled_job_id: string | null;
  search_text: string;
  created_at: number;
  scheduled_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  cancelled_at: number | null;
}

export interface TaskRow {
  id: string;
  job_id: string;
  parent_id: string | null;
  position: number;
  sibling_index: number;
  kind: string;
  name: string;
  description: string | null;
  state: string;
  definition: string;
  run_spec: string | null;
  queue: string;
  priority: number;
  attempt: number;
  retry_limit: number;
  node_id: string | null;
  backend_id: string | null;
  exit_code: number | null;
  error: string | null;
  result: string | null;
  progress: number;
  completions: number;
  size: number;
  subjob_id: string | null;
  created_at: number;
  enqueued_at: number;
  run_after: number;
  scheduled_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
}

export interface TaskLogRow {
  id: Generated<number>;
  task_id: string;
  job_id: string;
  number: number;
  contents: string;
  created_at: number;
}

export interface NodeRow {
  id: string;
  name: string;
  hostname: string;
  version: string;
  private_queue: string;
  queues: string;
  status: string;
  cpu_percent: number;
  max_tasks: number;
  capacity_cpus: number;
  capacity_memory_bytes: number;
  labels: string;
  task_count: number;
  started_at: number;
  last_heartbeat_at: number;
}

export interface QueueRow {
  name: string;
  created_at: number;
}

export interface ScheduledJobRow {
  id: string;
  owner: string;
  name: string;
  description: string | null;
  cron: string;
  state: string;
  tags: string;
  definition: string;
  search_text: string;
  created_at: number;
  next_run_at: number | null;
  last_run_at: number | null;
}

export interface UserRow {
  id: string;
  username: string;
  name: string;
  email: string;
  roles: string;
  projects: string;
  password_hash: string | null;
  enabled: number;
  created_at: number;
  credentials_valid_after: number;
}

export interface AccessTokenRow {
  digest: string;
  kind: string;
  user_id: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface ApiKeyRow {
  id: string;
  digest: string;
  prefix: string;
  name: string;
  user_id: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface WorkerTokenRow {
  id: string;
  digest: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SettingRow {
  name: string;
  value: string;
  created_at: number;
}

export interface AppServiceRow {
  num_id: Generated<number>;
  job_id: string;
  task_id: string | null;
  group_name: string;
  name: string;
  instance_index: number;
  essential: number;
  monitor: number;
  address: string;
  host: string | null;
  ports: string;
  created_at: number;
}

export interface QuotaRow {
  num_id: Generated<number>;
  name: string;
  concurrent_executions: number;
  cores: number;
  memory: number;
  runtime_limit: number;
  created_at: number;
}

export interface UserQuotaRow {
  user_id: string;
  quota_id: number;
}

export interface AppRoleRow {
  num_id: Generated<number>;
  name: string;
  can_see_status: number;
  can_change_config: number;
  can_operate_others: number;
  can_delete_executions: number;
  can_access_api: number;
  can_customize_resources: number;
  can_access_full_zapp_shop: number;
  created_at: number;
}

export interface UserAppRoleRow {
  user_id: string;
  role_id: number;
}

export interface JobRecordRow {
  job_id: string;
  num_id: number;
  batch_job_id: number;
  cluster: string;
  sub_cluster: string;
  partition: string | null;
  project: string;
  user_name: string;
  array_job_id: number | null;
  num_nodes: number;
  num_hwthreads: number;
  num_acc: number;
  shared: string;
  walltime: number;
  smt: number | null;
  submit_time: number | null;
  start_time: number;
  duration: number;
  job_state: string;
  monitoring_status: number;
  requested_memory: number | null;
  energy: number | null;
  resources: string;
  meta_data: string;
  footprint: string | null;
  energy_footprint: string | null;
}

export interface JobTagRow {
  id: Generated<number>;
  tag_type: string;
  tag_name: string;
  tag_scope: string;
}

export interface JobTagLinkRow {
  job_id: string;
  tag_id: number;
}

export interface MetricChunkRow {
  cluster: string;
  host: string;
  metric: string;
  scope: string;
  scope_id: string;
  job_id: string;
  chunk_start: number;
  samples: number;
  data: Uint8Array;
}

export interface NodeStateRow {
  cluster: string;
  hostname: string;
  state: string;
  states: string;
  cpus_allocated: number;
  memory_allocated: number;
  gpus_allocated: number;
  jobs_running: number;
  reported_at: number;
}

/** A workflow document (text on SQLite, jsonb on PostgreSQL, read back as a string or an object). */
export type DocColumn = ColumnType<unknown, string, string>;

export interface WfWorkflowRow {
  seq: Generated<number>;
  workflow_id: string;
  job_id: string;
  owner_id: string;
  request_digest: string;
  created_at: number;
  doc: DocColumn;
}

export interface WfTaskDirectiveRow {
  seq: Generated<number>;
  task_id: string;
  workflow_id: string;
  doc: DocColumn;
}

export interface WfTaskforceRow {
  seq: Generated<number>;
  taskforce_uuid: string;
  workflow_id: string;
  task_id: string;
  phase: string;
  schedd: string;
  request_digest: string;
  created_at: number;
  doc: DocColumn;
}

export interface MqQueueRow {
  queue_id: string;
  workflow_id: string;
  alias: string;
  public: number;
  created_at: number;
  activated_at: number | null;
  closed_at: number | null;
}

export interface MqMessageRow {
  id: Generated<number>;
  queue_id: string;
  body: string;
  published_at: number;
  visible_at: number;
  deliveries: number;
  lease: string | null;
}

export interface Database {
  jobs: JobRow;
  tasks: TaskRow;
  task_logs: TaskLogRow;
  nodes: NodeRow;
  queues: QueueRow;
  scheduled_jobs: ScheduledJobRow;
  users: UserRow;
  access_tokens: AccessTokenRow;
  api_keys: ApiKeyRow;
  worker_tokens: WorkerTokenRow;
  settings: SettingRow;
  app_services: AppServiceRow;
  quotas: QuotaRow;
  user_quotas: UserQuotaRow;
  app_roles: AppRoleRow;
  user_app_roles: UserAppRoleRow;
  job_records: JobRecordRow;
  job_tags_catalog: JobTagRow;
  job_tag_links: JobTagLinkRow;
  metric_chunks: MetricChunkRow;
  node_states: NodeStateRow;
  wf_workflows: WfWorkflowRow;
  wf_task_directives: WfTaskDirectiveRow;
  wf_taskforces: WfTaskforceRow;
  mq_queues: MqQueueRow;
  mq_messages: MqMessageRow;
}
