import type { AppDefinition, ServiceInstance } from '../../core/app.js';
import type { Job, Task } from '../../core/model.js';
import { TERMINAL_JOB_STATES } from '../../core/states.js';
import type { AppExecution } from '../../services/apps/app-service.js';
import { zoeExecutionStatus, zoeServiceStatus } from './states.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/** Zoe's Execution object (`zoe_lib/state/execution.py`, `serialize`); `user_id` is the owner's name, as the seed page shows it. */
export function zoeExecution(execution: AppExecution): Record<string, unknown> {
  const { job } = execution;
  const definition = job.definition as AppDefinition;
  return {
    id: job.numId,
    user_id: job.owner,
    name: job.name,
    description: definition.description,
    time_submit: seconds(job.createdAt),
    time_start: seconds(job.startedAt),
    time_end: seconds(job.completedAt ?? job.failedAt ?? job.cancelledAt),
    status: zoeExecutionStatus(job.state, execution.stopping),
    error_message: job.error,
    services: execution.instances.map((instance) => instance.numId),
    size: definition.spec.size,
  };
}

/** Zoe's Service object (`zoe_lib/state/service.py`, `serialize`), plus the ports a user reaches it by. */
export function zoeService(job: Job, instance: ServiceInstance, task: Task | undefined): Record<string, unknown> {
  const definition = job.definition as AppDefinition;
  const active = !TERMINAL_JOB_STATES.has(job.state);
  const { status, backend } = zoeServiceStatus(task, active, instance.essential);
  const up = task?.state === 'running' || task?.state === 'stopping';
  const services = (definition.description as { services?: Array<{ name?: string }> } | null)?.services ?? [];
  return {
    id: instance.numId,
    name: instance.name,
    status,
    error_message: task?.state === 'failed' ? task.error : null,
    execution_id: job.numId,
    description: services.find((service) => service.name === instance.group) ?? null,
    service_group: instance.group,
    backend_id: up ? task.backendId : null,
    ip_address: up ? instance.address : null,
    backend_status: backend,
    backend_host: task?.nodeId ?? null,
    essential: instance.essential,
    proxy_address: null,
    restart_count: 0,
    ports: instance.ports.map((port) => ({
      name: port.name,
      port_number: port.port,
      protocol: port.protocol,
      external_address: up && instance.host && port.hostPort !== null ? `${instance.host}:${port.hostPort}` : null,
    })),
  };
}
