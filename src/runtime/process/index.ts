import type { Runtime } from '../runtime.js';
import type { ProcessRuntimeOptions } from './options.js';
import { ProcessRuntime } from './process-runtime.js';

export { processRuntimeOptions, type ProcessRuntimeOptions } from './options.js';
export { hostCommand, bwrapArgs, type SandboxPlan } from './sandbox-command.js';
export { stepArgv } from './process-runtime.js';

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  return new ProcessRuntime(options);
}
