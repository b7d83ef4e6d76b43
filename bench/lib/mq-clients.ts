import { Agent, request } from 'node:http';
import amqp from 'amqplib';
import { bodiesOf, Tally, type FlowResult, type FlowSpec, type PullQueue } from './mq-flow.js';

/** Seconds a consumed message stays leased: far longer than a run, so nothing is delivered twice. */
export const VISIBILITY_SECONDS = 60;

/**
 * One client of Gantry's queue routes: one keep-alive connection (node:http;
 * fetch costs about a millisecond of JavaScript a request), the workflow's
 * queue token as its credential, as a pilot's.
 */
export function httpQueue(baseUrl: string, token: string, queueId: string): PullQueue & { take(max: number, waitMs: number): Promise<Array<{ ackId: string; value: unknown }>>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = `${baseUrl}/v1/mqs/queues/${encodeURIComponent(queueId)}`;
  const post = (path: string, body: unknown): Promise<any> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': payload.length };
      const req = request(`${base}${path}`, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(JSON.parse(text));
          else reject(new Error(`POST ${path}: ${res.statusCode} ${text}`));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  const take = async (max: number, waitMs: number): Promise<Array<{ ackId: string; value: unknown }>> => {
    const answer = (await post('/actions/consume', { max_messages: max, wait: waitMs / 1000, visibility_timeout: VISIBILITY_SECONDS })) as { messages: Array<{ ack_id: string; message: unknown }> };
    return answer.messages.map((message) => ({ ackId: message.ack_id, value: message.message }));
  };
  return {
    publish: async (bodies) => void (await post('/messages', { messages: bodies })),
    consume: async (max, waitMs) => (await take(max, waitMs)).map((message) => message.ackId),
    take,
    ack: async (ackIds) => ((await post('/actions/ack', { ack_ids: ackIds })) as { acked: number }).acked,
    close: () => agent.destroy(),
  };
}

/** After a consumer's last delivery, how long it waits for more before acking a batch that is not full. */
const ACK_LINGER_MS = 5;

/**
 * The same load on RabbitMQ with a plain amqplib client, a connection per
 * client: publishers on confirm channels send persistent messages through the
 * default exchange and await the confirms of each batch; consumers have a
 * prefetch of one batch and ack each batch with one `multiple` ack. An ack has
 * no reply in AMQP, so the clock stops once every consumer channel has
 * answered a round trip (basic.cancel) sent after its last ack.
 */
export async function amqpFlow(spec: FlowSpec, url: string, queue: string): Promise<{ go(): Promise<FlowResult>; close(): Promise<void> }> {
  const connections = await Promise.all(Array.from({ length: spec.publishers + spec.consumers }, () => amqp.connect(url)));
  const publishers = await Promise.all(connections.slice(0, spec.publishers).map((connection) => connection.createConfirmChannel()));
  const consumers = await Promise.all(connections.slice(spec.publishers).map((connection) => connection.createChannel()));
  for (const channel of consumers) await channel.prefetch(spec.batch);
  const payloads = publishers.map((_, index) => bodiesOf(spec, index).map((batch) => batch.map((body) => Buffer.from(JSON.stringify(body)))));
  const go = async (): Promise<FlowResult> => {
    const tally = new Tally(spec.messages);
    const startedAt = performance.now();
    const publishing = publishers.map(async (channel, index) => {
      for (const batch of payloads[index]!) {
        for (const content of batch) {
          if (!channel.publish('', queue, content, { persistent: true })) await new Promise((resolve) => channel.once('drain', resolve));
        }
        await channel.waitForConfirms();
      }
    });
    const tags = await Promise.all(
      consumers.map(async (channel) => {
        let pending = 0;
        let last: amqp.ConsumeMessage | undefined;
        let lastAt = 0;
        let timer: NodeJS.Timeout | undefined;
        const flush = (): void => {
          if (pending === 0 || !last) return;
          channel.ack(last, true);
          const count = pending;
          pending = 0;
          tally.add(count);
        };
        const linger = (): void => {
          timer = undefined;
          if (pending === 0) return;
          const idle = performance.now() - lastAt;
          if (idle >= ACK_LINGER_MS) flush();
          else timer = setTimeout(linger, ACK_LINGER_MS - idle);
        };
        const { consumerTag } = await channel.consume(queue, (message) => {
          if (!message) return;
          last = message;
          lastAt = performance.now();
          if (++pending >= spec.batch) flush();
          else timer ??= setTimeout(linger, ACK_LINGER_MS);
        });
        return { channel, consumerTag, stopTimer: () => clearTimeout(timer) };
      }),
    );
    await Promise.all([...publishing, tally.done]);
    await Promise.all(tags.map(({ channel, consumerTag }) => channel.cancel(consumerTag)));
    const seconds = (performance.now() - startedAt) / 1000;
    for (const { stopTimer } of tags) stopTimer();
    if (tally.acked !== spec.messages) throw new Error(`acked ${tally.acked} messages, not ${spec.messages}`);
    return { seconds, perSecond: spec.messages / seconds };
  };
  return { go, close: async () => void (await Promise.all(connections.map((connection) => connection.close()))) };
}
