import type { RunHooks, RunOutcome, RunRequest, Runtime } from '../../src/runtime/runtime.js';

/** A runtime that runs nothing: each task starts and succeeds at once. For benchmarks of the core only. */
export class NoopRuntime implements Runtime {
  readonly name = 'noop';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async run(request: RunRequest, hooks: RunHooks): Promise<RunOutcome> {
    hooks.onStarted({ backendId: `noop-${request.taskId}` });
    return { end: 'exited', exitCode: 0 };
  }
}
