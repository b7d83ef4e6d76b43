import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Store } from '../store/open.js';
import * as messagesRepo from '../store/messages-repo.js';
import { deadLetterQueueOf, type BrokerAccess, type ConsumeOptions, type DeliveredMessage, type MessageBroker, type QueueDepth } from './broker.js';

export interface StoreBrokerOptions {
  /** Where users and pilots reach Gantry's queue routes (profiles name it; known once the server listens). */
  address: () => string;
  /** The credential of a workflow's queues on Gantry's queue routes. */
  tokenOf: (workflowId: string) => string;
  maxDeliveries: number;
  /** How often a waiting consumer looks again when no publish on this server woke it (others may publish). */
  pollMs?: number;
  clock?: () => number;
}

/**
 * The embedded broker: queues are rows of Gantry's store, so they are as
 * durable as its jobs and need nothing else installed. Consumers that wait are
 * woken by publishes on this server and, for publishes on others, by polling.
 */
export class StoreBroker implements MessageBroker {
  readonly type = 'gantry';
  private readonly published = new EventEmitter();
  private readonly clock: () => number;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: StoreBrokerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.published.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.published.emit('stop');
  }

  async activate(workflowId: string): Promise<BrokerAccess> {
    return { brokerType: this.type, brokerAddress: this.options.address(), authToken: this.options.tokenOf(workflowId) };
  }

  async deactivate(): Promise<void> {
    // The token is derived from the workflow id; the workflow service refuses it once the workflow has ended.
  }

  async publish(queueId: string, bodies: readonly string[]): Promise<void> {
    if (bodies.length === 0) return;
    await messagesRepo.publishMany(this.store.db, this.store.dialect, queueId, bodies, this.clock());
    this.published.emit(queueId);
  }

  async consume(queueId: string, options: ConsumeOptions): Promise<DeliveredMessage[]> {
    const deadline = this.clock() + options.waitMs;
    for (;;) {
      const got = await this.claim(queueId, options);
      const now = this.clock();
      if (got.length > 0 || now >= deadline || this.stopped) return got;
      const next = await messagesRepo.nextVisibleAt(this.store.db, queueId, now);
      await this.waitForPublish(queueId, Math.min(deadline, next ?? Infinity, now + (this.options.pollMs ?? 250)) - now);
    }
  }

  async ack(queueId: string, ackIds: readonly string[]): Promise<number> {
    let acked = 0;
    for (const [lease, ids] of byLease(ackIds)) acked += await messagesRepo.ackMany(this.store.db, this.store.dialect, queueId, lease, ids);
    return acked;
  }

  async nack(queueId: string, ackIds: readonly string[], delayMs = 0): Promise<number> {
    let released = 0;
    const visibleAt = this.clock() + delayMs;
    for (const [lease, ids] of byLease(ackIds)) released += await messagesRepo.releaseMany(this.store.db, this.store.dialect, queueId, lease, ids, visibleAt);
    if (released > 0 && delayMs === 0) this.published.emit(queueId);
    return released;
  }

  async releaseConsumer(queueIds: readonly string[], consumer: string): Promise<number> {
    const released = await messagesRepo.releaseLeasesOf(this.store.db, queueIds, `${consumerPart(consumer)}~`, this.clock());
    for (const queueId of queueIds) this.published.emit(queueId);
    return released;
  }

  async depth(queueId: string): Promise<QueueDepth> {
    const now = this.clock();
    const counts = await messagesRepo.countOf(this.store.db, queueId, now);
    const dead = await messagesRepo.countOf(this.store.db, deadLetterQueueOf(queueId), now);
    return { ready: counts.ready, leased: counts.leased, dead: dead.total };
  }

  private async claim(queueId: string, options: ConsumeOptions): Promise<DeliveredMessage[]> {
    const now = this.clock();
    const lease = leaseOf(options.consumer);
    const rows = await messagesRepo.claimMany(this.store.db, this.store.dialect, {
      queueId,
      deadLetterQueueId: deadLetterQueueOf(queueId),
      max: options.max,
      now,
      visibleAt: now + options.visibilityMs,
      lease,
      maxDeliveries: this.options.maxDeliveries,
    });
    return rows.map((row) => ({ ackId: `${row.id}.${lease}`, body: row.body, deliveries: row.deliveries }));
  }

  private waitForPublish(queueId: string, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.published.off(queueId, done);
        this.published.off('stop', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.published.on(queueId, done);
      this.published.on('stop', done);
    });
  }
}

/** A delivery's lease: random, after the consumer's name when there is one (so its leases can be found). */
function leaseOf(consumer: string | undefined): string {
  const random = randomBytes(9).toString('base64url');
  return consumer === undefined ? random : `${consumerPart(consumer)}~${random}`;
}

/** The consumer as it goes into a lease: without the characters a LIKE pattern or an ack id would read. */
function consumerPart(consumer: string): string {
  return consumer.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
}

/** Ack ids (`<message id>.<lease>`) grouped by lease; malformed ones are left out (they hold nothing). */
function byLease(ackIds: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const ackId of ackIds) {
    const dot = typeof ackId === 'string' ? ackId.indexOf('.') : -1;
    const id = dot > 0 ? Number(ackId.slice(0, dot)) : NaN;
    if (!Number.isSafeInteger(id)) continue;
    const lease = ackId.slice(dot + 1);
    const ids = groups.get(lease) ?? [];
    ids.push(id);
    groups.set(lease, ids);
  }
  return groups;
}
