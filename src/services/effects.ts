import type { Assignment } from '../core/worker-protocol.js';
import type { GantryEvent } from './event-bus.js';

/**
 * What a transaction wants done once it has committed: events to publish, cancel
 * messages to send to nodes, a scheduler wake-up. Collected during the
 * transaction so nothing is announced that was then rolled back.
 */
export class Effects {
  readonly events: GantryEvent[] = [];
  readonly cancels: Array<{ nodeId: string; taskId: string; attempt: number }> = [];
  /** Assignments handed straight to a node (an application's services, placed by the application scheduler). */
  readonly deliveries: Array<{ nodeId: string; assignment: Assignment }> = [];
  wakeScheduler = false;
  /** The application scheduler should look again (capacity freed, an execution queued). */
  wakeApps = false;
  /** The earliest time a task made here becomes runnable later (a retry's backoff), if any. */
  wakeSchedulerAt: number | undefined;

  emit(event: GantryEvent): void {
    this.events.push(event);
  }

  wakeAt(time: number): void {
    if (this.wakeSchedulerAt === undefined || time < this.wakeSchedulerAt) this.wakeSchedulerAt = time;
  }
}
