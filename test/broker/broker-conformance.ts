/**
 * The contract of `MessageBroker` (src/broker/broker.ts) as a suite any broker runs
 * against itself: `describeBrokerConformance('rabbitmq', makeBroker)`. It uses the
 * interface only. Each test works on queues of its own; timeouts are short (a
 * visibility of 300 ms) so the suite runs in seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueueOf, type ConsumeOptions, type DeliveredMessage, type MessageBroker, type QueueDepth } from '../../src/broker/broker.js';

/** What the broker under test must be made with. */
export interface BrokerConformanceSettings {
  maxDeliveries: number;
}

export const BROKER_CONFORMANCE_SETTINGS: BrokerConformanceSettings = { maxDeliveries: 3 };

export interface BrokerUnderTest {
  /** Started (or startable: the suite calls `start()` itself). */
  broker: MessageBroker;
  close(): Promise<void>;
}

const VISIBILITY_MS = 300;
/** Long enough that a lease does not lapse during a test that does not want it to. */
const HOLD_MS = 30_000;
/** The most a test waits for a message it expects. */
const WAIT_MS = 5_000;

let counter = 0;

/** A workflow with queues no other test (or run) uses. */
function names(count = 1): { workflowId: string; queues: string[] } {
  const workflowId = `conf-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  return { workflowId, queues: Array.from({ length: count }, (_, i) => `${workflowId}-q${i}`) };
}

function bodies(messages: DeliveredMessage[]): string[] {
  return messages.map((message) => message.body);
}

export function describeBrokerConformance(name: string, makeBroker: (settings: BrokerConformanceSettings) => Promise<BrokerUnderTest>): void {
  describe(`broker conformance: ${name}`, () => {
    let subject: BrokerUnderTest;
    let broker: MessageBroker;

    const take = (queueId: string, options: Partial<ConsumeOptions> = {}): Promise<DeliveredMessage[]> =>
      broker.consume(queueId, { max: 10, visibilityMs: HOLD_MS, waitMs: 0, ...options });
    /** Waits (up to WAIT_MS) for exactly one message and returns it. */
    const takeOne = async (queueId: string, options: Partial<ConsumeOptions> = {}): Promise<DeliveredMessage> => {
      const got = await take(queueId, { max: 1, waitMs: WAIT_MS, ...options });
      expect(got, `a message from ${queueId}`).toHaveLength(1);
      return got[0]!;
    };
    /** The depth, once it reads `expected` (some brokers count leases a moment late). */
    const depthBecomes = async (queueId: string, expected: QueueDepth): Promise<void> => {
      const deadline = Date.now() + WAIT_MS;
      let last = await broker.depth(queueId);
      while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        last = await broker.depth(queueId);
      }
      expect(last).toEqual(expected);
    };
    const activated = async (count = 1): Promise<{ workflowId: string; queues: string[] }> => {
      const made = names(count);
      await broker.activate(made.workflowId, made.queues);
      return made;
    };

    beforeAll(async () => {
      subject = await makeBroker(BROKER_CONFORMANCE_SETTINGS);
      broker = subject.broker;
      await broker.start();
    });

    afterAll(async () => {
      await broker?.stop();
      await subject?.close();
    });

    it('delivers published messages in order, once each, and ack removes them', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['one', 'two']);
      await broker.publish(q, ['three']);
      const got = await take(q);
      expect(bodies(got)).toEqual(['one', 'two', 'three']);
      expect(got.map((message) => message.deliveries)).toEqual([1, 1, 1]);
      expect(new Set(got.map((message) => message.ackId)).size).toBe(3);
      expect(await take(q)).toEqual([]);
      expect(await broker.ack(q, got.map((message) => message.ackId))).toBe(3);
      // Acked twice: nothing is leased under these ids any more.
      expect(await broker.ack(q, got.map((message) => message.ackId))).toBe(0);
      expect(await take(q, { visibilityMs: VISIBILITY_MS, waitMs: VISIBILITY_MS * 3 })).toEqual([]);
    });

    it('gives at most `max` messages, the oldest first', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['a', 'b', 'c', 'd', 'e']);
      const first = await take(q, { max: 2 });
      expect(bodies(first)).toEqual(['a', 'b']);
      const rest = await take(q, { max: 10 });
      expect(bodies(rest)).toEqual(['c', 'd', 'e']);
      expect(await broker.ack(q, [...first, ...rest].map((message) => message.ackId))).toBe(5);
    });

    it('delivers an unacked message again after its visibility timeout, counting the delivery', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['again']);
      const first = await takeOne(q, { visibilityMs: VISIBILITY_MS });
      expect(first.deliveries).toBe(1);
      const leasedAt = Date.now();
      const second = await takeOne(q);
      expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(VISIBILITY_MS - 50);
      expect(second).toMatchObject({ body: 'again', deliveries: 2 });
      expect(await broker.ack(q, [second.ackId])).toBe(1);
    });

    it('a stale ackId (its lease lapsed, the message went out again) does not touch the new delivery', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['stale']);
      const first = await takeOne(q, { visibilityMs: VISIBILITY_MS });
      const second = await takeOne(q);
      expect(second.ackId).not.toBe(first.ackId);
      expect(await broker.ack(q, [first.ackId])).toBe(0);
      expect(await broker.nack(q, [first.ackId])).toBe(0);
      // Still leased under the new id, and only there.
      expect(await broker.ack(q, [second.ackId])).toBe(1);
      expect(await take(q, { waitMs: VISIBILITY_MS * 2 })).toEqual([]);
    });

    it('nack gives a message back at once, counting the delivery', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['retry']);
      const first = await takeOne(q);
      expect(await broker.nack(q, [first.ackId])).toBe(1);
      expect(await broker.nack(q, [first.ackId])).toBe(0);
      expect(await broker.ack(q, [first.ackId])).toBe(0);
      const second = await takeOne(q);
      expect(second).toMatchObject({ body: 'retry', deliveries: 2 });
      expect(await broker.ack(q, [second.ackId])).toBe(1);
    });

    it('nack with a delay gives the message back only after the delay', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      const delayMs = 500;
      await broker.publish(q, ['later']);
      const first = await takeOne(q);
      const nackedAt = Date.now();
      expect(await broker.nack(q, [first.ackId], delayMs)).toBe(1);
      // The lease ended with the nack.
      expect(await broker.ack(q, [first.ackId])).toBe(0);
      expect(await take(q)).toEqual([]);
      const second = await takeOne(q);
      expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(delayMs - 50);
      expect(second).toMatchObject({ body: 'later', deliveries: 2 });
      expect(await broker.ack(q, [second.ackId])).toBe(1);
    });

    it(`dead-letters a message after ${BROKER_CONFORMANCE_SETTINGS.maxDeliveries} deliveries, whether nacked or lapsed`, async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      const dead = deadLetterQueueOf(q);
      await broker.publish(q, ['poison', 'fine']);
      const [poison, fine] = await take(q, { max: 2 });
      expect(bodies([poison!, fine!])).toEqual(['poison', 'fine']);
      expect(await broker.ack(q, [fine!.ackId])).toBe(1);
      expect(await broker.nack(q, [poison!.ackId])).toBe(1);
      const second = await takeOne(q, { visibilityMs: VISIBILITY_MS });
      expect(second).toMatchObject({ body: 'poison', deliveries: 2 });
      // This lease lapses; the third delivery is the last one allowed.
      const third = await takeOne(q);
      expect(third).toMatchObject({ body: 'poison', deliveries: 3 });
      expect(await broker.nack(q, [third.ackId])).toBe(1);
      // (A broker may move it when the queue is next consumed: consume first, then count.)
      expect(await take(q, { waitMs: VISIBILITY_MS })).toEqual([]);
      await depthBecomes(q, { ready: 0, leased: 0, dead: 1 });
      const buried = await takeOne(dead);
      expect(buried.body).toBe('poison');
      expect(await broker.ack(dead, [buried.ackId])).toBe(1);
      await depthBecomes(q, { ready: 0, leased: 0, dead: 0 });
    });

    it('a waiting consume answers as soon as a message is published', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      const startedAt = Date.now();
      const waiting = take(q, { waitMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await broker.publish(q, ['wake']);
      const got = await waiting;
      expect(bodies(got)).toEqual(['wake']);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(await broker.ack(q, [got[0]!.ackId])).toBe(1);
    });

    it('an empty queue answers nothing: at once without waitMs, after waitMs with it', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      let startedAt = Date.now();
      expect(await take(q)).toEqual([]);
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      startedAt = Date.now();
      expect(await take(q, { waitMs: 400 })).toEqual([]);
      const waited = Date.now() - startedAt;
      expect(waited).toBeGreaterThanOrEqual(350);
      expect(waited).toBeLessThan(3_000);
    });

    it('depth counts ready, leased and dead messages', async () => {
      const { queues } = await activated();
      const q = queues[0]!;
      await depthBecomes(q, { ready: 0, leased: 0, dead: 0 });
      await broker.publish(q, ['1', '2', '3']);
      await depthBecomes(q, { ready: 3, leased: 0, dead: 0 });
      const got = await take(q, { max: 1 });
      await depthBecomes(q, { ready: 2, leased: 1, dead: 0 });
      expect(await broker.ack(q, [got[0]!.ackId])).toBe(1);
      await depthBecomes(q, { ready: 2, leased: 0, dead: 0 });
    });

    it('acks and nacks only on the queue the delivery came from', async () => {
      const { queues } = await activated(2);
      const [q0, q1] = queues as [string, string];
      await broker.publish(q0, ['mine']);
      const got = await takeOne(q0);
      expect(await broker.ack(q1, [got.ackId])).toBe(0);
      expect(await broker.nack(q1, [got.ackId])).toBe(0);
      expect(await broker.ack(q0, ['not-an-ack-id', '', got.ackId])).toBe(1);
    });

    it('activate is idempotent: the same access, the queues and their messages kept', async () => {
      const { workflowId, queues } = names(2);
      const access = await broker.activate(workflowId, queues);
      expect(access.brokerType).toBe(broker.type);
      expect(access.authToken).not.toBe('');
      await broker.publish(queues[0]!, ['kept']);
      expect(await broker.activate(workflowId, queues)).toEqual(access);
      const got = await takeOne(queues[0]!);
      expect(got.body).toBe('kept');
      expect(await broker.ack(queues[0]!, [got.ackId])).toBe(1);
      const other = names();
      expect((await broker.activate(other.workflowId, other.queues)).authToken).not.toBe(access.authToken);
    });

    it('deactivate keeps the queues and their messages', async () => {
      const { workflowId, queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['result']);
      await broker.deactivate(workflowId);
      const got = await takeOne(q);
      expect(got.body).toBe('result');
      expect(await broker.ack(q, [got.ackId])).toBe(1);
    });

    it('releaseConsumer gives back what a consumer holds, and only that', async (context) => {
      if (!broker.releaseConsumer) return context.skip('the broker sees its consumers end by itself');
      const { queues } = await activated();
      const q = queues[0]!;
      await broker.publish(q, ['held', 'other']);
      const [held] = await take(q, { max: 1, consumer: 'pilot-a' });
      const [other] = await take(q, { max: 1, consumer: 'pilot-b' });
      expect(await broker.releaseConsumer(queues, 'pilot-a')).toBe(1);
      expect(await broker.ack(q, [held!.ackId])).toBe(0);
      const again = await takeOne(q);
      expect(again).toMatchObject({ body: 'held', deliveries: 2 });
      expect(await broker.ack(q, [again.ackId, other!.ackId])).toBe(2);
    });
  });
}
