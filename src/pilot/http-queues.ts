import type { PilotMessage, QueueClient } from './queue-client.js';

/** A pilot's queues on Gantry's own routes (the embedded broker), with its workflow's queue token. */
export class HttpQueues implements QueueClient {
  constructor(
    private readonly server: string,
    private readonly token: string,
    private readonly visibilityMs: number,
    private readonly consumer: string,
  ) {}

  async take(queue: string, max: number, waitMs: number): Promise<PilotMessage[]> {
    const answer = (await this.post(`/v1/mqs/queues/${encodeURIComponent(queue)}/actions/consume`, {
      max_messages: max,
      visibility_timeout: this.visibilityMs / 1000,
      wait: waitMs / 1000,
      consumer: this.consumer,
    })) as { messages: Array<{ ack_id: string; message: unknown }> };
    return answer.messages.map((message) => ({ ackId: message.ack_id, value: message.message }));
  }

  async publish(queue: string, values: readonly unknown[]): Promise<void> {
    if (values.length > 0) await this.post(`/v1/mqs/queues/${encodeURIComponent(queue)}/messages`, { messages: values });
  }

  async ack(queue: string, ackIds: readonly string[]): Promise<void> {
    if (ackIds.length > 0) await this.post(`/v1/mqs/queues/${encodeURIComponent(queue)}/actions/ack`, { ack_ids: ackIds });
  }

  async nack(queue: string, ackIds: readonly string[]): Promise<void> {
    if (ackIds.length > 0) await this.post(`/v1/mqs/queues/${encodeURIComponent(queue)}/actions/nack`, { ack_ids: ackIds });
  }

  async close(): Promise<void> {
    // Nothing held open: each call is a request.
  }

  /** POSTs JSON; retries what a restarting or busy server answers (5xx, refused connections) for a while. */
  async post(path: string, body: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.server}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await response.text();
        if (response.ok) return text === '' ? {} : JSON.parse(text);
        if (response.status < 500 || attempt >= 30) throw new Error(`${path}: ${response.status} ${text}`);
      } catch (error) {
        if (attempt >= 30 || (error instanceof Error && /: [1-4]\d\d /.test(error.message))) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt)));
    }
  }
}
