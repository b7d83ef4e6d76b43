/**
 * The message broker on a RabbitMQ server (3.10 or later): each workflow queue is a
 * durable quorum queue, which counts deliveries and dead-letters a message after
 * the last one allowed, and each workflow gets a RabbitMQ user of its own, so
 * users' AMQP clients and Gantry's pilots reach their queues on RabbitMQ directly.
 *
 * How a client uses the access `activate` answers: `brokerAddress` is an AMQP URI
 * without the password, `amqp://gantry-wf-<workflowId>@<host>:<port>/<vhost>` (the
 * vhost URI-encoded, `%2F` for `/`), and `authToken` is that user's password: put it
 * in the URI (`amqp://gantry-wf-<workflowId>:<authToken>@…`) or pass it as the PLAIN
 * password. The user may read and (re)declare exactly the workflow's queues and their
 * dead-letter queues, and publish through the default exchange with the queue as
 * routing key. Clients must declare the queues passively (or with the very
 * arguments below): RabbitMQ refuses a declaration whose arguments differ.
 *
 * Known limit: RabbitMQ checks publishing against the exchange only, and write on
 * the default exchange (`amq.default`) reaches every queue of the vhost, so a
 * workflow's credential can put messages (never read them) into any queue of the
 * vhost whose name it knows. Give Gantry a vhost of its own.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ConsumeMessage, Message } from 'amqplib';
import { GantryError } from '../core/errors.js';
import { deadLetterQueueOf, type BrokerAccess, type ConsumeOptions, type DeliveredMessage, type MessageBroker, type QueueDepth } from './broker.js';
import { LeaseTable, type LeaseChannel } from './amqp-leases.js';
import { AmqpLink, drained } from './amqp-link.js';
import { escapeRegex, RabbitMqManagement } from './rabbitmq-management.js';

/** When a workflow's connections are closed again after its user was removed. */
const CLOSE_AGAIN_MS = [1_000, 3_000, 6_000, 12_000];

export interface AmqpBrokerOptions {
  /**
   * `amqp://user:pass@host:port/vhost` (or `amqps://`) of a RabbitMQ administrator:
   * Gantry declares the queues and manages the workflows' users with it. Port
   * 5672 (5671 for amqps) and vhost `/` when left out.
   */
  url: string;
  /** Base URL of the management HTTP API; default `http://<url's user:pass>@<url's host>:15672`. */
  managementUrl?: string;
  /** Deliveries a message gets before it goes to its dead-letter queue (at least 1). */
  maxDeliveries: number;
  /** `host:port` that workflows' clients are told to connect to; default the url's host and port. */
  publicAddress?: string;
  /** Key of the HMAC that derives each workflow's password from its id (so the same after a restart). */
  secret: string;
  /** Failures no caller waits for (a lost connection, a channel RabbitMQ closed); default: ignored. */
  onError?: (error: unknown) => void;
}

/** Prefix of the RabbitMQ user of a workflow. */
export const WORKFLOW_USER_PREFIX = 'gantry-wf-';

/** RabbitMQ allows queue names of up to 255 bytes; the dead-letter queue adds its suffix. */
const MAX_QUEUE_BYTES = 255 - Buffer.byteLength(deadLetterQueueOf(''));
/** When a queue had messages at the start of a consume but none arrive within this, another consumer took them. */
const READY_GRACE_MS = 500;
/** After a delivery, how long to wait for the next before answering with fewer than expected. */
const LINGER_MS = 20;
const HEARTBEAT_SECONDS = 30;

/** The arguments every workflow queue is declared with; a client that declares it actively must pass the same. */
export function queueArguments(queueId: string, maxDeliveries: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    // A quorum queue dead-letters a message once it was returned more than
    // x-delivery-limit times, i.e. on its (limit + 1)-th delivery unacked.
    'x-delivery-limit': maxDeliveries - 1,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadLetterQueueOf(queueId),
    // At-least-once dead-lettering (RabbitMQ 3.10) keeps a message until its
    // dead-letter queue has it; it requires reject-publish overflow.
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** The arguments of the dead-letter queues: quorum queues too, as durable as the queues they serve. */
export const DEAD_LETTER_QUEUE_ARGUMENTS: Record<string, unknown> = { 'x-queue-type': 'quorum' };

export class AmqpBroker implements MessageBroker {
  readonly type = 'rabbitmq';
  private readonly connectUrl: string;
  private readonly displayUrl: string;
  private readonly vhost: string;
  private readonly publicAddress: string;
  private readonly scheme: string;
  private readonly management: RabbitMqManagement;
  private readonly onError: (error: unknown) => void;
  private readonly leases: LeaseTable;
  /** Makes ackIds of this broker object unlike those of an earlier one. */
  private readonly instance = randomBytes(4).toString('hex');
  private channelCount = 0;
  private current: Promise<AmqpLink> | undefined;
  private running = false;

  constructor(private readonly options: AmqpBrokerOptions) {
    if (!Number.isInteger(options.maxDeliveries) || options.maxDeliveries < 1) throw new Error('maxDeliveries must be a whole number of at least 1');
    if (!options.secret) throw new Error('the AMQP broker needs a secret to derive workflow passwords');
    const url = new URL(options.url);
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new Error(`the AMQP URL must start with amqp:// or amqps://, not ${url.protocol}//`);
    this.scheme = url.protocol.slice(0, -1);
    const port = url.port || (this.scheme === 'amqps' ? '5671' : '5672');
    this.vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/';
    this.publicAddress = options.publicAddress ?? `${url.hostname}:${port}`;
    this.displayUrl = `${this.scheme}://${url.username ? `${url.username}@` : ''}${url.hostname}:${port}/${encodeURIComponent(this.vhost)}`;
    const connect = new URL(url.toString());
    if (!connect.searchParams.has('heartbeat')) connect.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS));
    this.connectUrl = connect.toString();
    const management = new URL(options.managementUrl ?? `http://${url.hostname}:15672`);
    // Without credentials of its own, the management API is asked with the broker's.
    if (!management.username) {
      management.username = url.username;
      management.password = url.password;
    }
    this.management = new RabbitMqManagement(management);
    this.onError = options.onError ?? (() => undefined);
    this.leases = new LeaseTable((holder) => this.settled(holder));
  }

  async start(): Promise<void> {
    this.running = true;
    try {
      await this.link();
      const tags = await this.management.ownTags();
      if (!tags.includes('administrator')) {
        throw new GantryError('unavailable', `the RabbitMQ user of ${this.displayUrl} must be an administrator to manage the workflows' users`);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    const current = this.current;
    this.current = undefined;
    const link = await current?.catch(() => undefined);
    await link?.close();
  }

  async activate(workflowId: string, queueIds: readonly string[]): Promise<BrokerAccess> {
    for (const queueId of queueIds) checkQueueName(queueId);
    const link = await this.link();
    await link.withChannel(async (channel) => {
      for (const queueId of queueIds) {
        const deadLetters = deadLetterQueueOf(queueId);
        // The dead-letter queue first: at-least-once dead-lettering holds messages until it exists.
        await channel.assertQueue(deadLetters, { durable: true, arguments: DEAD_LETTER_QUEUE_ARGUMENTS }).catch((error: unknown) => this.declareFailed(deadLetters, error));
        await channel.assertQueue(queueId, { durable: true, arguments: queueArguments(queueId, this.options.maxDeliveries) }).catch((error: unknown) => this.declareFailed(queueId, error));
      }
    }).catch((error: unknown) => {
      throw error instanceof GantryError ? error : this.unavailable(`cannot open a channel to RabbitMQ at ${this.displayUrl}`, error);
    });
    const username = workflowUser(workflowId);
    const password = this.passwordOf(workflowId);
    await this.management.putUser(username, password);
    const own = queueIds.flatMap((queueId) => [queueId, deadLetterQueueOf(queueId)]).map(escapeRegex);
    const ownPattern = own.length > 0 ? `^(${own.join('|')})$` : '^$';
    await this.management.putPermissions(this.vhost, username, { configure: ownPattern, write: '^amq\\.default$', read: ownPattern });
    return {
      brokerType: this.type,
      brokerAddress: `${this.scheme}://${encodeURIComponent(username)}@${this.publicAddress}/${encodeURIComponent(this.vhost)}`,
      authToken: password,
    };
  }

  async deactivate(workflowId: string): Promise<void> {
    const username = workflowUser(workflowId);
    // The user first, so that nothing signs in again between the two calls.
    await this.management.deleteUser(username);
    // The management API knows a connection only once its statistics came in (every
    // collect_statistics_interval): one opened just before may be missed, so look again.
    // It also answers 500 now and then while a connection of the user is going away;
    // the later looks close what this one could not.
    await this.management.closeConnectionsOf(username).catch((error: unknown) => this.onError(error));
    for (const delayMs of CLOSE_AGAIN_MS) {
      const timer = setTimeout(() => {
        this.management.closeConnectionsOf(username).catch((error: unknown) => this.onError(error));
      }, delayMs);
      timer.unref();
    }
  }

  async publish(queueId: string, bodies: readonly string[]): Promise<void> {
    if (bodies.length === 0) return;
    const link = await this.link();
    const channel = await link.publisher().catch((error: unknown) => {
      throw this.unavailable(`cannot open a channel to RabbitMQ at ${this.displayUrl}`, error);
    });
    // A message to a queue that does not exist comes back (mandatory) before its confirm.
    let returned = false;
    const onReturn = (message: Message): void => {
      if (message.fields.routingKey === queueId) returned = true;
    };
    channel.on('return', onReturn);
    try {
      const confirms: Array<Promise<void>> = [];
      for (const body of bodies) {
        let writable = true;
        const confirmed = new Promise<void>((resolve, reject) => {
          writable = channel.sendToQueue(queueId, Buffer.from(body, 'utf8'), { persistent: true, mandatory: true }, (error: unknown) => (error ? reject(error) : resolve()));
        });
        // Handled below with the others; this keeps a failure during a drain wait from counting as unhandled.
        confirmed.catch(() => undefined);
        confirms.push(confirmed);
        if (!writable) await drained(channel);
      }
      await Promise.all(confirms);
    } catch (error) {
      throw this.unavailable(`RabbitMQ at ${this.displayUrl} did not confirm the messages for queue ${queueId}`, error);
    } finally {
      channel.off('return', onReturn);
    }
    if (returned) throw new GantryError('not_found', `queue ${queueId} does not exist`);
  }

  async consume(queueId: string, options: ConsumeOptions): Promise<DeliveredMessage[]> {
    if (options.max < 1) return [];
    const link = await this.link();
    const holder = await link.takeLeaseChannel().catch((error: unknown) => {
      throw this.unavailable(`cannot open a channel to RabbitMQ at ${this.displayUrl}`, error);
    });
    try {
      const messages = await this.collect(holder, queueId, options);
      if (holder.closed) throw this.unavailable(`the channel to RabbitMQ at ${this.displayUrl} closed while consuming from ${queueId}`);
      return messages.map((message) => ({
        ackId: this.leases.add(queueId, holder, message, options.visibilityMs, options.consumer),
        body: message.content.toString('utf8'),
        deliveries: deliveriesOf(message),
      }));
    } catch (error) {
      throw this.queueFailed(queueId, error);
    } finally {
      holder.busy = false;
      link.release(holder);
    }
  }

  async ack(queueId: string, ackIds: readonly string[]): Promise<number> {
    return this.leases.ack(queueId, ackIds);
  }

  async nack(queueId: string, ackIds: readonly string[], delayMs?: number): Promise<number> {
    return this.leases.nack(queueId, ackIds, delayMs);
  }

  /** Pilots that consume over AMQP need none of this (RabbitMQ returns what a dropped connection held); it serves consumers that go through Gantry. */
  async releaseConsumer(queueIds: readonly string[], consumer: string): Promise<number> {
    return this.leases.releaseConsumer(queueIds, consumer);
  }

  /**
   * `ready` and `dead` are exact (AMQP's queue check); `leased` is RabbitMQ's
   * unacknowledged count over every consumer, Gantry's and the workflow's own clients,
   * as the nodes last reported it (up to `quorum_tick_interval`, 5 s by default, old).
   */
  async depth(queueId: string): Promise<QueueDepth> {
    const link = await this.link();
    const checks = link.withChannel(async (channel) => {
      const main = await channel.checkQueue(queueId);
      // A queue Gantry did not declare may have no dead-letter queue (its check then closes the channel).
      const dead = await channel.checkQueue(deadLetterQueueOf(queueId)).catch(() => undefined);
      return { ready: main.messageCount, dead: dead?.messageCount ?? 0 };
    });
    const [counts, totals] = await Promise.all([checks.catch((error: unknown) => Promise.reject(this.queueFailed(queueId, error))), this.management.queueCounts(this.vhost, [queueId])]);
    return { ready: counts.ready, leased: totals.get(queueId)?.unacked ?? 0, dead: counts.dead };
  }

  /** The password of a workflow's RabbitMQ user. */
  private passwordOf(workflowId: string): string {
    return createHmac('sha256', this.options.secret).update(`rabbitmq-user:${workflowId}`).digest('base64url');
  }

  /**
   * Takes up to `max` messages with a consumer whose prefetch is `max` (RabbitMQ sends
   * at most that many unacknowledged), waiting up to `waitMs` for the first when the
   * queue is empty, then cancels it. Deliveries that arrive before the cancel is
   * confirmed are kept: the prefetch bounds them.
   */
  private async collect(holder: LeaseChannel, queueId: string, { max, waitMs }: ConsumeOptions): Promise<ConsumeMessage[]> {
    const { channel } = holder;
    const { messageCount: ready } = await channel.checkQueue(queueId);
    if (ready === 0 && waitMs <= 0) return [];
    if (holder.prefetch !== max) {
      await channel.prefetch(max);
      holder.prefetch = max;
    }
    const expected = Math.min(max, Math.max(ready, 1));
    const got: ConsumeMessage[] = [];
    const deadline = Date.now() + (ready > 0 ? Math.max(waitMs, READY_GRACE_MS) : waitMs);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let timer = setTimeout(finish, deadline - Date.now());
    channel.once('close', finish);
    try {
      const { consumerTag } = await channel.consume(
        queueId,
        (message) => {
          // null: RabbitMQ cancelled the consumer (the queue was deleted).
          if (message === null) return finish();
          got.push(message);
          clearTimeout(timer);
          if (got.length >= expected) finish();
          else timer = setTimeout(finish, Math.max(0, Math.min(LINGER_MS, deadline - Date.now())));
        },
        { noAck: false },
      );
      await finished;
      clearTimeout(timer);
      if (!holder.closed) {
        await channel.cancel(consumerTag).catch(async (error: unknown) => {
          // What it delivered must not stay unacknowledged on an open channel: closing it gives all back.
          await channel.close().catch(() => undefined);
          throw error;
        });
      }
    } finally {
      clearTimeout(timer);
      channel.off('close', finish);
    }
    // The prefetch keeps this from happening; should RabbitMQ send more anyway, the
    // extra ones go back (counted as a delivery).
    for (const extra of got.splice(max)) if (!holder.closed) channel.nack(extra, false, true);
    return got;
  }

  private link(): Promise<AmqpLink> {
    if (!this.running) return Promise.reject(new GantryError('unavailable', 'the AMQP message broker is not running'));
    if (!this.current) {
      const attempt = AmqpLink.open(this.connectUrl, {
        nextChannelId: () => `${this.instance}-${++this.channelCount}`,
        onLost: (error) => this.lost(attempt, error),
        onChannelClosed: (holder) => this.leases.dropChannel(holder),
        onError: (error) => this.onError(error),
      }).catch((error: unknown) => {
        if (this.current === attempt) this.current = undefined;
        throw connectFailed(this.displayUrl, error);
      });
      this.current = attempt;
    }
    return this.current;
  }

  /** The connection dropped: the next call connects again; what was leased on it is back in the queues. */
  private lost(attempt: Promise<AmqpLink>, error: unknown): void {
    if (this.current === attempt) this.current = undefined;
    this.onError(this.unavailable(`lost the connection to RabbitMQ at ${this.displayUrl}`, error));
  }

  private settled(holder: LeaseChannel): void {
    if (!holder.idle) return;
    void this.current?.then((link) => link.release(holder), () => undefined);
  }

  private declareFailed(queueId: string, error: unknown): never {
    if (amqpCode(error) === 406) {
      throw new GantryError('conflict', `queue ${queueId} already exists in RabbitMQ with other settings`, { details: { queue: queueId }, cause: error });
    }
    if (amqpCode(error) === 403) throw new GantryError('unavailable', `RabbitMQ at ${this.displayUrl} does not let Gantry declare queue ${queueId}`, { cause: error });
    throw this.unavailable(`RabbitMQ at ${this.displayUrl} could not declare queue ${queueId}`, error);
  }

  private queueFailed(queueId: string, error: unknown): GantryError {
    if (error instanceof GantryError) return error;
    if (amqpCode(error) === 404) return new GantryError('not_found', `queue ${queueId} does not exist`);
    return this.unavailable(`RabbitMQ at ${this.displayUrl} failed on queue ${queueId}`, error);
  }

  private unavailable(message: string, cause?: unknown): GantryError {
    return new GantryError('unavailable', cause instanceof Error ? `${message}: ${cause.message}` : message, cause === undefined ? {} : { cause });
  }
}

/** The RabbitMQ user of a workflow. */
export function workflowUser(workflowId: string): string {
  return `${WORKFLOW_USER_PREFIX}${workflowId}`;
}

function checkQueueName(queueId: string): void {
  if (!queueId || Buffer.byteLength(queueId) > MAX_QUEUE_BYTES) {
    throw new GantryError('invalid_input', `a queue name must have 1 to ${MAX_QUEUE_BYTES} bytes`, { details: { queue: queueId } });
  }
  if (queueId.startsWith('amq.')) throw new GantryError('invalid_input', 'queue names starting with "amq." are reserved by RabbitMQ', { details: { queue: queueId } });
}

/** Quorum queues count earlier deliveries in `x-delivery-count`. */
function deliveriesOf(message: Message): number {
  const count = message.properties.headers?.['x-delivery-count'] as unknown;
  if (typeof count === 'number') return count + 1;
  return message.fields.redelivered ? 2 : 1;
}

/** The AMQP reply code of a failure: amqplib rejects with an Error carrying `code`, or (basic.get) with the close frame itself. */
function amqpCode(error: unknown): number | undefined {
  const { code, fields } = (error ?? {}) as { code?: unknown; fields?: { replyCode?: unknown } };
  if (typeof code === 'number') return code;
  return typeof fields?.replyCode === 'number' ? fields.replyCode : undefined;
}

function connectFailed(displayUrl: string, error: unknown): GantryError {
  const reason = error instanceof Error ? error.message : String(error);
  if (amqpCode(error) === 403 || /ACCESS.REFUSED/.test(reason)) {
    return new GantryError('unavailable', `RabbitMQ at ${displayUrl} refused Gantry's credentials`, { cause: error });
  }
  return new GantryError('unavailable', `RabbitMQ at ${displayUrl} cannot be reached: ${reason}`, { cause: error });
}
