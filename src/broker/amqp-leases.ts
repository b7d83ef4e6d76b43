/**
 * What the AMQP broker has handed out and not yet settled. A consumed message stays
 * unacknowledged on the channel it came on; its lease is that channel plus the
 * delivery tag, and it ends in one of four ways: acked, nacked (now or after a
 * delay), lapsed (nacked back to the queue when its visibility timeout passes), or
 * lost with its channel (RabbitMQ then returns it to the queue itself).
 */
import type { Channel, Message } from 'amqplib';

/**
 * Node's timers take at most a signed 32-bit delay; longer ones would fire at once.
 * RabbitMQ's own `consumer_timeout` (30 min by default) closes a channel that holds a
 * delivery longer than that anyway.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A channel lent to one consume call at a time; it is idle again once all it delivered is settled. */
export class LeaseChannel {
  /** ackIds of its deliveries still leased. */
  readonly leased = new Set<string>();
  /** Nacks waiting for their delay. */
  readonly delayed = new Set<NodeJS.Timeout>();
  /** A consume call is using it. */
  busy = false;
  closed = false;
  /** The per-consumer prefetch last set on it (basic.qos), to skip setting it again. */
  prefetch = 0;

  constructor(
    /** Unique within the broker: ackIds start with it. */
    readonly id: string,
    readonly channel: Channel,
  ) {}

  get idle(): boolean {
    return !this.closed && !this.busy && this.leased.size === 0 && this.delayed.size === 0;
  }
}

interface Lease {
  queueId: string;
  /** Who consumed it, when the caller said. */
  consumer: string | undefined;
  message: Message;
  holder: LeaseChannel;
  timer: NodeJS.Timeout;
}

export class LeaseTable {
  private readonly leases = new Map<string, Lease>();

  /** @param onSettled called when a channel may have become idle. */
  constructor(private readonly onSettled: (holder: LeaseChannel) => void) {}

  /** Leases a delivery for `visibilityMs`; returns its ackId. */
  add(queueId: string, holder: LeaseChannel, message: Message, visibilityMs: number, consumer?: string): string {
    const ackId = `${holder.id}.${message.fields.deliveryTag}`;
    const timer = setTimeout(() => this.lapse(ackId), Math.min(Math.max(visibilityMs, 0), MAX_TIMER_MS));
    timer.unref();
    this.leases.set(ackId, { queueId, consumer, message, holder, timer });
    holder.leased.add(ackId);
    return ackId;
  }

  /** Acks the deliveries still leased under these ids (on `queueId`); returns how many. */
  ack(queueId: string, ackIds: readonly string[]): number {
    let count = 0;
    for (const ackId of new Set(ackIds)) {
      const lease = this.take(queueId, ackId);
      if (lease && send(() => lease.holder.channel.ack(lease.message))) count++;
      if (lease) this.onSettled(lease.holder);
    }
    return count;
  }

  /**
   * Gives the deliveries back to the queue, now or after `delayMs` (the lease ends at
   * once either way); returns how many were still leased. RabbitMQ counts each as a
   * delivery.
   */
  nack(queueId: string, ackIds: readonly string[], delayMs = 0): number {
    let count = 0;
    for (const ackId of new Set(ackIds)) {
      const lease = this.take(queueId, ackId);
      if (!lease) continue;
      const { holder, message } = lease;
      if (delayMs <= 0) {
        if (send(() => holder.channel.nack(message, false, true))) count++;
        this.onSettled(holder);
        continue;
      }
      // The message stays unacknowledged on its channel until the delay is over, so
      // nobody else gets it meanwhile; if the channel goes first, RabbitMQ returns it.
      const timer: NodeJS.Timeout = setTimeout(() => {
        holder.delayed.delete(timer);
        if (!holder.closed) send(() => holder.channel.nack(message, false, true));
        this.onSettled(holder);
      }, Math.min(delayMs, MAX_TIMER_MS));
      timer.unref();
      holder.delayed.add(timer);
      count++;
    }
    return count;
  }

  /** Nacks at once whatever `consumer` still holds in these queues; returns how many. */
  releaseConsumer(queueIds: readonly string[], consumer: string): number {
    const queues = new Set(queueIds);
    const held: Array<[string, string]> = [];
    for (const [ackId, lease] of this.leases) if (lease.consumer === consumer && queues.has(lease.queueId)) held.push([lease.queueId, ackId]);
    let count = 0;
    for (const [queueId, ackId] of held) count += this.nack(queueId, [ackId]);
    return count;
  }

  /** The channel is gone: RabbitMQ put its unacknowledged deliveries back; forget them. */
  dropChannel(holder: LeaseChannel): void {
    holder.closed = true;
    for (const ackId of holder.leased) {
      const lease = this.leases.get(ackId);
      if (lease) clearTimeout(lease.timer);
      this.leases.delete(ackId);
    }
    holder.leased.clear();
    for (const timer of holder.delayed) clearTimeout(timer);
    holder.delayed.clear();
  }

  /** How many deliveries are leased now (all queues). */
  get size(): number {
    return this.leases.size;
  }

  private lapse(ackId: string): void {
    const lease = this.leases.get(ackId);
    if (!lease) return;
    this.leases.delete(ackId);
    lease.holder.leased.delete(ackId);
    if (!lease.holder.closed) send(() => lease.holder.channel.nack(lease.message, false, true));
    this.onSettled(lease.holder);
  }

  private take(queueId: string, ackId: string): Lease | undefined {
    const lease = this.leases.get(ackId);
    if (!lease || lease.queueId !== queueId) return undefined;
    clearTimeout(lease.timer);
    this.leases.delete(ackId);
    lease.holder.leased.delete(ackId);
    return lease;
  }
}

/** Sends an ack or nack; false when the channel closed under it (its 'close' event is on the way). */
function send(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}
