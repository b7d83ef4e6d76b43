import type { TaskCgroup } from './cgroups.js';
import type { LaunchedProcess } from './launcher.js';
import type { RuntimeLogger } from './options.js';
import type { WorkArea } from './work-area.js';

/**
 * An attempt made ready ahead of demand: its work area, its cgroups with the
 * default limits and, where there are cgroups to join, a process that has joined
 * them and waits (as root, running nothing of the task) for its command.
 * Taking one spares a task the directory and cgroup set-up, the fork and the
 * cgroup migrations on its way to running.
 */
export interface Prepared {
  area: WorkArea;
  cgroup?: TaskCgroup;
  waiter?: { process: LaunchedProcess; gone: boolean; released: boolean };
}

/** Keeps up to `size` prepared attempts; a background loop makes new ones as they are taken. */
export class PreparedPool {
  private readonly ready: Prepared[] = [];
  private filling: Promise<void> | undefined;
  private stopped = false;
  /** After a failure, no new attempt before this time (ms since the epoch), so a broken host is not retried per task. */
  private retryAt = 0;

  constructor(
    private readonly size: number,
    private readonly make: () => Promise<Prepared>,
    private readonly discard: (prepared: Prepared) => Promise<void>,
    private readonly logger?: RuntimeLogger,
  ) {}

  /** A prepared attempt whose waiting process is still there, if one is ready; starts making the next. */
  take(): Prepared | undefined {
    let taken: Prepared | undefined;
    while ((taken = this.ready.shift()) !== undefined && taken.waiter?.gone) void this.discard(taken);
    this.fill();
    return taken;
  }

  fill(): void {
    if (this.filling || this.stopped || this.size <= 0 || Date.now() < this.retryAt) return;
    this.filling = this.fillLoop().finally(() => {
      this.filling = undefined;
    });
  }

  private async fillLoop(): Promise<void> {
    try {
      while (!this.stopped && this.ready.length < this.size) {
        const prepared = await this.make();
        if (this.stopped) {
          await this.discard(prepared);
          return;
        }
        this.ready.push(prepared);
      }
    } catch (error) {
      // Meanwhile tasks prepare their own; a later take tries again.
      this.retryAt = Date.now() + 5_000;
      this.logger?.warn({ err: error }, 'preparing a task attempt ahead failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
    await Promise.all(this.ready.splice(0).map((prepared) => this.discard(prepared)));
  }
}
