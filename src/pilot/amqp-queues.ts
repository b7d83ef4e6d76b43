import amqp from 'amqplib';
import type { PilotMessage, QueueClient } from './queue-client.js';

/**
 * A pilot's queues on a RabbitMQ server, reached with its workflow's
 * credentials (the profile's address names the user; the token is its
 * password). What the pilot holds unacked goes back to the queue when its
 * connection drops, so a pilot that dies leaves nothing leased.
 */
export class AmqpQueues implements QueueClient {
  private readonly held = new Map<string, amqp.GetMessage>();
  private next = 0;

  private constructor(
    private readonly connection: amqp.ChannelModel,
    private readonly channel: amqp.ConfirmChannel,
  ) {}

  static async connect(profile: { broker_address: string; auth_token: string }, _visibilityMs: number): Promise<AmqpQueues> {
    const url = new URL(profile.broker_address.includes('://') ? profile.broker_address : `amqp://${profile.broker_address}`);
    url.password = encodeURIComponent(profile.auth_token);
    const connection = await amqp.connect(url.toString());
    const channel = await connection.createConfirmChannel();
    return new AmqpQueues(connection, channel);
  }

  async take(queue: string, max: number, waitMs: number): Promise<PilotMessage[]> {
    const deadline = Date.now() + waitMs;
    const taken: PilotMessage[] = [];
    for (;;) {
      while (taken.length < max) {
        const message = await this.channel.get(queue, { noAck: false });
        if (message === false) break;
        const ackId = String(this.next++);
        this.held.set(ackId, message);
        taken.push({ ackId, value: valueOf(message.content) });
      }
      if (taken.length > 0 || Date.now() >= deadline) return taken;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async publish(queue: string, values: readonly unknown[]): Promise<void> {
    for (const value of values) this.channel.sendToQueue(queue, Buffer.from(JSON.stringify(value)), { persistent: true, contentType: 'application/json' });
    await this.channel.waitForConfirms();
  }

  async ack(_queue: string, ackIds: readonly string[]): Promise<void> {
    for (const ackId of ackIds) {
      const message = this.held.get(ackId);
      if (message) this.channel.ack(message);
      this.held.delete(ackId);
    }
  }

  async nack(_queue: string, ackIds: readonly string[]): Promise<void> {
    for (const ackId of ackIds) {
      const message = this.held.get(ackId);
      if (message) this.channel.nack(message, false, true);
      this.held.delete(ackId);
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function valueOf(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
