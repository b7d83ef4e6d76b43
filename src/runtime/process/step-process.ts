import type { StepEnd } from './exit-status.js';
import type { TaskCgroup } from './cgroups.js';
import { killTree } from './kill-tree.js';
import type { LaunchedProcess, LaunchHandlers } from './launcher.js';
import type { LineBudget } from './line-splitter.js';

export interface StepProcessOptions {
  /** Starts the step's process with these handlers (a fresh spawn, or a prepared process released). */
  start(handlers: LaunchHandlers): Promise<LaunchedProcess>;
  budget: LineBudget;
  signal: AbortSignal;
  timeoutMs?: number;
  cgroup?: TaskCgroup;
  /** Called with the host pid once the process exists. */
  onPid(pid: number): void;
  /** Called every `pollMs` while the step runs (progress polling). */
  poll?: { everyMs: number; run(): void };
}

/**
 * Runs one step's process to its end: output into the log budget, a kill of the
 * whole tree at the timeout or on cancel, and, once it is gone, whatever it
 * left in the attempt's cgroup killed too.
 */
export function runStepProcess(options: StepProcessOptions): Promise<Omit<StepEnd, 'oomKilled'>> {
  const { budget, signal, cgroup } = options;
  return new Promise((resolve) => {
    let pid: number | undefined;
    let stoppedFor: 'timeout' | 'cancelled' | undefined;
    let settled = false;
    const out = budget.splitter('stdout');
    const err = budget.splitter('stderr');
    const stop = (why: 'timeout' | 'cancelled'): void => {
      stoppedFor ??= why;
      killTree(pid, cgroup);
    };
    const onAbort = (): void => stop('cancelled');
    const timer = options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
    const poller = options.poll && options.poll.everyMs > 0 ? setInterval(options.poll.run, options.poll.everyMs) : undefined;
    poller?.unref();
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (end: Omit<StepEnd, 'oomKilled'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      signal.removeEventListener('abort', onAbort);
      resolve(end);
    };
    void options
      .start({
        onData: (stream, data) => (stream === 'stdout' ? out : err).write(data),
        onError: (message) => finish({ code: null, signal: null, launchError: message }),
        onExit: (code, exitSignal) => {
          out.end();
          err.end();
          // Whatever of the step is still in its cgroup (nothing, with a pid namespace) goes too.
          cgroup?.killAll();
          finish({ code, signal: exitSignal, stoppedFor, timeoutMs: options.timeoutMs });
        },
      })
      .then((launched) => {
        pid = launched.pid;
        if (pid === undefined) return;
        // Past the log cap nothing of the output is kept: it need not cross over from the launcher.
        if (budget.isExhausted) launched.mute();
        else budget.onExhausted = () => launched.mute();
        options.onPid(pid);
        // A cancel or timeout that came while it was being started.
        if (stoppedFor || signal.aborted) stop(stoppedFor ?? 'cancelled');
      });
  });
}
