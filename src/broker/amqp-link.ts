/**
 * One AMQP connection of the broker and the channels on it: a confirm channel for
 * publishing, short-lived channels for declarations and queue checks (a failed
 * check closes its channel), and a pool of lease channels for consuming.
 */
import { once } from 'node:events';
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { LeaseChannel } from './amqp-leases.js';

/** Idle lease channels kept open for the next consume calls; more are closed when they settle. */
const MAX_IDLE_CHANNELS = 8;
const CONNECT_TIMEOUT_MS = 10_000;

export interface AmqpLinkHooks {
  /** A new lease channel id, unique within the broker. */
  nextChannelId(): string;
  /** The connection went away without `close()`; every channel on it is gone. */
  onLost(error: unknown): void;
  /** A lease channel closed: its deliveries are back in their queues. */
  onChannelClosed(holder: LeaseChannel): void;
  /** A channel failed while no call was waiting on it (a call that is sees the error itself), or RabbitMQ blocks publishing. */
  onError(error: unknown): void;
}

export class AmqpLink {
  private publisherChannel: Promise<ConfirmChannel> | undefined;
  private readonly idle: LeaseChannel[] = [];
  private readonly holders = new Set<LeaseChannel>();
  private closing = false;

  private constructor(
    private readonly model: ChannelModel,
    private readonly hooks: AmqpLinkHooks,
  ) {
    model.on('error', () => undefined); // 'close' follows and carries the error
    model.on('close', (error: unknown) => {
      if (!this.closing) hooks.onLost(error);
    });
    model.on('blocked', (reason: unknown) => hooks.onError(new Error(`RabbitMQ blocks publishing: ${String(reason)}`)));
  }

  static async open(url: string, hooks: AmqpLinkHooks): Promise<AmqpLink> {
    const model = await connect(url, { timeout: CONNECT_TIMEOUT_MS, clientProperties: { connection_name: 'gantry' } });
    return new AmqpLink(model, hooks);
  }

  /** The confirm channel every publish goes through (made on first use, again after it closed). */
  publisher(): Promise<ConfirmChannel> {
    if (!this.publisherChannel) {
      const made = this.model.createConfirmChannel().then((channel) => {
        channel.on('error', (error: unknown) => this.hooks.onError(error));
        channel.on('close', () => {
          if (this.publisherChannel === made) this.publisherChannel = undefined;
        });
        return channel;
      });
      made.catch(() => {
        if (this.publisherChannel === made) this.publisherChannel = undefined;
      });
      this.publisherChannel = made;
    }
    return this.publisherChannel;
  }

  /** A lease channel for one consume call, marked busy; hand it back with `release`. */
  async takeLeaseChannel(): Promise<LeaseChannel> {
    let holder = this.idle.pop();
    while (holder && holder.closed) holder = this.idle.pop();
    if (!holder) {
      const channel = await this.model.createChannel();
      const made = new LeaseChannel(this.hooks.nextChannelId(), channel);
      channel.on('error', (error: unknown) => {
        if (!made.busy) this.hooks.onError(error);
      });
      channel.on('close', () => {
        this.holders.delete(made);
        const at = this.idle.indexOf(made);
        if (at >= 0) this.idle.splice(at, 1);
        this.hooks.onChannelClosed(made);
      });
      this.holders.add(made);
      holder = made;
    }
    holder.busy = true;
    return holder;
  }

  /** Puts a lease channel back in the pool once nothing is leased on it any more. */
  release(holder: LeaseChannel): void {
    if (!holder.idle || this.idle.includes(holder)) return;
    if (this.idle.length < MAX_IDLE_CHANNELS && !this.closing) this.idle.push(holder);
    else holder.channel.close().catch(() => undefined);
  }

  /** Runs `work` on a channel of its own, closed afterwards (a failed declaration or check closes it anyway). */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.model.createChannel();
    let closed = false;
    channel.on('error', () => undefined); // the failing call rejects with the same error
    channel.on('close', () => (closed = true));
    try {
      return await work(channel);
    } finally {
      if (!closed) await channel.close().catch(() => undefined);
    }
  }

  /** Closes the connection: RabbitMQ returns whatever is still unacknowledged on it. */
  async close(): Promise<void> {
    this.closing = true;
    for (const holder of this.holders) this.hooks.onChannelClosed(holder);
    await this.model.close().catch(() => undefined);
  }
}

/** Waits until a channel can take more writes, or is gone. */
export async function drained(channel: Channel): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  channel.once('close', onClose);
  try {
    await once(channel, 'drain', { signal: gone.signal });
  } catch {
    // closed: the pending confirms fail with it
  } finally {
    channel.off('close', onClose);
  }
}
