/**
 * The process runtime: each task attempt as sandboxed processes on this host
 * (bubblewrap, or util-linux unshare), see docs/sandbox.md.
 */
import type { Runtime } from '../runtime.js';
import type { ProcessRuntimeOptions } from './options.js';
import { ProcessRuntime } from './process-runtime.js';

export { processRuntimeOptions, type ProcessRuntimeOptions, type RuntimeLogger, type SandboxToolPaths } from './options.js';
export { buildSandboxInvocation, type SandboxInvocation } from './sandbox-command.js';
export { detectSandboxHost, type SandboxHost } from './sandbox-host.js';
export type { SandboxBind, SandboxSpec } from './sandbox-spec.js';
export { makeStepSpec, simpleStepInvocation, type StepSpecInput } from './step-spec.js';
export { prepareCgroupParents, TaskCgroup } from './cgroups.js';
export { stepArgv, stepEnv } from './tork-layout.js';
export { defaultWorkRoot } from './work-area.js';
export { processAlive } from './process-alive.js';

/** A runtime that runs each task attempt sandboxed on this host. Call `start()` before `run()`. */
export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  return new ProcessRuntime(options);
}
