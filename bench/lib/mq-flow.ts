/**
 * The load of the message-queue benchmark, the same for every broker: P
 * publishers and C consumers on one empty queue, each a client of its own. The
 * publishers send `messages` between them in batches of `batch`, each batch
 * awaited (committed, or confirmed by RabbitMQ) before the next; the consumers
 * take batches of up to `batch` and ack each batch before taking the next. The
 * clock runs from the first publish until the last message is acked, so the
 * rate counts messages that were published, consumed and acked in that time.
 */

export interface FlowSpec {
  messages: number;
  publishers: number;
  consumers: number;
  batch: number;
  /** Length of each message's text. */
  bodyBytes: number;
}

/** A queue that consumers pull from (the embedded broker, directly or over HTTP). */
export interface PullQueue {
  publish(bodies: readonly string[]): Promise<void>;
  /** Up to `max` messages, waiting up to `waitMs` for one when the queue is empty: what acks each. */
  consume(max: number, waitMs: number): Promise<string[]>;
  /** How many of these were still leased, and so removed now. */
  ack(ackIds: readonly string[]): Promise<number>;
}

/** How long an idle consumer's pull waits (at the end of a run a consumer may wait this long for nothing). */
export const WAIT_MS = 1_000;

/** The messages of one publisher: distinct texts of `bodyBytes` characters. */
export function bodiesOf(spec: FlowSpec, publisher: number): string[][] {
  const share = Math.ceil(spec.messages / spec.publishers);
  const first = publisher * share;
  const count = Math.max(0, Math.min(share, spec.messages - first));
  const bodies = Array.from({ length: count }, (_, i) => {
    const label = `m-${first + i}-`;
    return label + 'x'.repeat(Math.max(0, spec.bodyBytes - label.length));
  });
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += spec.batch) batches.push(bodies.slice(i, i + spec.batch));
  return batches;
}

/** Counts acked messages and notes the moment the last one was. */
export class Tally {
  acked = 0;
  endedAt = 0;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(readonly target: number) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get complete(): boolean {
    return this.acked >= this.target;
  }

  add(count: number): void {
    this.acked += count;
    if (this.complete && this.endedAt === 0) {
      this.endedAt = performance.now();
      this.finish();
    }
  }
}

export interface FlowResult {
  seconds: number;
  perSecond: number;
}

/** Runs the load on pull queues: `clients()` gives each publisher and each consumer its own. */
export async function pullFlow(spec: FlowSpec, clients: () => PullQueue): Promise<FlowResult> {
  const publishers = Array.from({ length: spec.publishers }, (_, index) => ({ queue: clients(), batches: bodiesOf(spec, index) }));
  const consumers = Array.from({ length: spec.consumers }, () => clients());
  const tally = new Tally(spec.messages);
  const startedAt = performance.now();
  const publishing = publishers.map(async ({ queue, batches }) => {
    for (const batch of batches) await queue.publish(batch);
  });
  const consuming = consumers.map(async (queue) => {
    while (!tally.complete) {
      const ackIds = await queue.consume(spec.batch, WAIT_MS);
      if (ackIds.length === 0) continue;
      tally.add(await queue.ack(ackIds));
    }
  });
  await Promise.all([...publishing, tally.done]);
  const seconds = (tally.endedAt - startedAt) / 1000;
  // Consumers still waiting on an empty queue answer within WAIT_MS; not timed.
  await Promise.all(consuming);
  if (tally.acked !== spec.messages) throw new Error(`acked ${tally.acked} messages, not ${spec.messages}`);
  return { seconds, perSecond: spec.messages / seconds };
}
