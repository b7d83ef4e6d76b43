/**
 * A message broker holds the durable queues of event workflows: the embedded one
 * keeps them in Gantry's store, the AMQP one in a RabbitMQ server. Delivery is
 * at least once: a consumed message is leased for a visibility timeout and comes
 * back if it is neither acked nor nacked by then; a message delivered
 * `maxDeliveries` times without an ack goes to its queue's dead-letter queue.
 */

export interface DeliveredMessage {
  /** What acks or nacks this delivery; useless once the lease lapsed and the message went out again. */
  ackId: string;
  body: string;
  /** How many times it has been delivered, this one included. */
  deliveries: number;
}

export interface ConsumeOptions {
  /** At most this many messages. */
  max: number;
  /** How long the messages stay leased to this consumer before they are delivered again. */
  visibilityMs: number;
  /** When the queue is empty, wait up to this long for a message. */
  waitMs: number;
  /** Who consumes (a pilot's id): its leases can be given back at once when it is seen to end. */
  consumer?: string;
}

export interface QueueDepth {
  /** Waiting to be delivered. */
  ready: number;
  /** Delivered and not yet acked (leased). */
  leased: number;
  /** In the queue's dead-letter queue. */
  dead: number;
}

/** How a pilot or a user's own client reaches a workflow's queues. */
export interface BrokerAccess {
  brokerType: string;
  brokerAddress: string;
  /** Credential for the workflow's queues only. */
  authToken: string;
}

export interface MessageBroker {
  /** `gantry` (the embedded queues, over Gantry's HTTP API) or `rabbitmq`. */
  readonly type: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Makes the workflow's queues (durable; idempotent) and a credential limited to
   * them; called again it answers the same access.
   */
  activate(workflowId: string, queueIds: readonly string[]): Promise<BrokerAccess>;
  /** Withdraws the workflow's credential; its queues and messages stay, for reading results. */
  deactivate(workflowId: string): Promise<void>;
  publish(queueId: string, bodies: readonly string[]): Promise<void>;
  consume(queueId: string, options: ConsumeOptions): Promise<DeliveredMessage[]>;
  /** Removes the messages; returns how many were still leased under these ids. */
  ack(queueId: string, ackIds: readonly string[]): Promise<number>;
  /** Gives the messages back now (or after `delayMs`), counting the delivery; returns how many were still leased. */
  nack(queueId: string, ackIds: readonly string[], delayMs?: number): Promise<number>;
  depth(queueId: string): Promise<QueueDepth>;
  /**
   * Gives back at once what `consumer` still holds in these queues (it ended).
   * Brokers that see their consumers' connections drop do this themselves and
   * need not implement it.
   */
  releaseConsumer?(queueIds: readonly string[], consumer: string): Promise<number>;
}

/** The dead-letter queue of a queue. */
export function deadLetterQueueOf(queueId: string): string {
  return `${queueId}.dead`;
}
