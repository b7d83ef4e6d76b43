/** How a pilot takes events and hands results on: the same moves over Gantry's queue routes or an AMQP broker. */

export interface PilotMessage {
  ackId: string;
  /** The event: a JSON value (text stays text). */
  value: unknown;
}

export interface QueueClient {
  /** Up to `max` events of `queue`, waiting up to `waitMs` for the first. */
  take(queue: string, max: number, waitMs: number): Promise<PilotMessage[]>;
  publish(queue: string, values: readonly unknown[]): Promise<void>;
  ack(queue: string, ackIds: readonly string[]): Promise<void>;
  nack(queue: string, ackIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
