import { EventEmitter } from 'node:events';
import type { Job, Task, TaskLogPart, WorkerNode } from '../core/model.js';
import type { JobState, TaskState } from '../core/states.js';

/** Every state change in Gantry, published after its transaction commits. */
export type GantryEvent =
  | { type: 'job.state'; job: Job; from: JobState | null; to: JobState }
  | { type: 'task.state'; task: Task; from: TaskState | null; to: TaskState }
  | { type: 'task.log'; part: TaskLogPart }
  | { type: 'task.progress'; task: Task }
  | { type: 'job.progress'; job: Job }
  | { type: 'node.state'; node: WorkerNode };

type Listener = (event: GantryEvent) => void;

/**
 * The in-process bus. Listeners run synchronously in publish order and must not
 * throw; a listener that does is logged and skipped so one bad follower cannot
 * stop the engine.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(0);
  }

  publish(events: readonly GantryEvent[]): void {
    for (const event of events) {
      for (const listener of this.emitter.listeners('event') as Listener[]) {
        try {
          listener(event);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
