import { GantryError } from '../../core/errors.js';
import type { RunSpec, RunStep } from '../../core/run-spec.js';
import { parseMemoryBytes } from '../../core/units.js';
import type { TaskDirectiveDoc, TaskforceDoc, WorkerConfig } from '../../core/workflow.js';
import type { PilotSettings } from '../../core/pilot-settings.js';

/** Where Gantry's own files are mounted in a pilot's sandbox (read-only): the pilot program and its libraries. */
export const PILOT_HOME = '/opt/gantry';

/** The pilot task: the directive's init command once (a pre step), then the pilot program's loop, within the worker_config's limits. */
export function pilotRunSpec(directive: TaskDirectiveDoc, taskforce: TaskforceDoc, settings: PilotSettings, node: string): RunSpec {
  const environment = Object.fromEntries(Object.entries(taskforce.pilot_config.environment).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)]));
  const steps: RunStep[] = [];
  if (directive.init_args.trim() !== '') {
    steps.push({ role: 'pre', name: 'init', ...(directive.init_image ? { image: directive.init_image } : {}), run: directive.init_args, env: { ...directive.init_env, EWMS_TASKFORCE_UUID: taskforce.taskforce_uuid }, files: {} });
  }
  steps.push({
    role: 'main',
    name: 'pilot',
    image: directive.task_image,
    cmd: [node, `${PILOT_HOME}/dist/pilot/main.js`],
    env: {
      ...environment,
      // The names EWMS's own pilot reads, for task commands that look at them.
      EWMS_PILOT_TASK_IMAGE: directive.task_image,
      EWMS_PILOT_TASK_ARGS: directive.task_args,
      EWMS_PILOT_TASK_ENV_JSON: JSON.stringify(directive.task_env),
      EWMS_TASKFORCE_UUID: taskforce.taskforce_uuid,
      GANTRY_PILOT: JSON.stringify(settings),
    },
    files: {},
    ...(taskforce.worker_config.max_worker_runtime > 0 ? { timeoutMs: taskforce.worker_config.max_worker_runtime * 1000 } : {}),
  });
  return {
    steps,
    mounts: [{ type: 'gantry', target: PILOT_HOME, readOnly: true }],
    limits: limitsOf(taskforce.worker_config),
    network: true,
  };
}

/** A worker_config's cores and memory as task limits (HTCondor reads a bare memory number as MB). */
export function limitsOf(config: WorkerConfig): RunSpec['limits'] {
  return { cpus: config.n_cores, memoryBytes: memoryBytesOf(config.worker_memory) };
}

export function memoryBytesOf(memory: string | number): number {
  if (typeof memory === 'number') return memory * 1024 * 1024;
  try {
    return parseMemoryBytes(memory.trim());
  } catch (error) {
    throw new GantryError('invalid_input', `worker_config.worker_memory: ${(error as Error).message}`);
  }
}
