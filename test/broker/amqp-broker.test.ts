/**
 * The AMQP broker on a real RabbitMQ started for this file: the conformance suite,
 * then what only RabbitMQ has: workflows' own AMQP clients on their queues with
 * their credentials, and the failures of the server itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpBroker, type AmqpBrokerOptions } from '../../src/broker/amqp-broker.js';
import { deadLetterQueueOf, type BrokerAccess } from '../../src/broker/broker.js';
import { GantryError } from '../../src/core/errors.js';
import { rabbitMqAvailable, startRabbitMq, type RabbitMqServer } from '../support/rabbitmq.js';
import { describeBrokerConformance } from './broker-conformance.js';

const available = rabbitMqAvailable();
if (!available) console.warn('rabbitmq-server is not installed: the AMQP broker tests are skipped (apt-get install rabbitmq-server)');
const SECRET = 'amqp-broker-test-secret';

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** How a workflow's client connects with the access `activate` answered. */
function clientUrl(access: BrokerAccess): string {
  const url = new URL(access.brokerAddress);
  url.password = encodeURIComponent(access.authToken);
  return url.toString();
}

/** The AMQP reply code of a failure (403 for refused access). */
async function refusal(attempt: Promise<unknown>): Promise<number | string> {
  try {
    await attempt;
    return 'allowed';
  } catch (error) {
    // amqplib rejects with an Error carrying `code`, or (basic.get) with the channel.close frame.
    const { code, fields } = error as { code?: unknown; fields?: { replyCode?: unknown } };
    if (typeof code === 'number') return code;
    if (typeof fields?.replyCode === 'number') return fields.replyCode;
    return String((error as Error).message);
  }
}

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe.skipIf(!available)(`AmqpBroker on RabbitMQ${available ? '' : ' (skipped: rabbitmq-server is not installed)'}`, () => {
  let server: RabbitMqServer;
  const errors: unknown[] = [];
  const makeBroker = (overrides: Partial<AmqpBrokerOptions> = {}): AmqpBroker =>
    new AmqpBroker({ url: server.amqpUrl, managementUrl: server.managementUrl.replace('//', `//${server.username}:${server.password}@`), maxDeliveries: 3, secret: SECRET, onError: (error) => errors.push(error), ...overrides });

  beforeAll(async () => {
    server = await startRabbitMq();
    console.info(`RabbitMQ started in ${server.startupMs} ms`);
  }, 60_000);

  afterAll(async () => {
    if (!server) return;
    await server.stop();
    // The node and whatever it started are gone with it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processesMentioning(server.directory)).toEqual([]);
  });

  describeBrokerConformance('rabbitmq', async ({ maxDeliveries }) => {
    const broker = makeBroker({ maxDeliveries });
    return { broker, close: async () => undefined };
  });

  describe('workflow clients', () => {
    let broker: AmqpBroker;
    let connections: amqp.ChannelModel[] = [];

    const connectClient = async (access: BrokerAccess): Promise<amqp.ChannelModel> => {
      const connection = await amqp.connect(clientUrl(access));
      connection.on('error', () => undefined);
      connections.push(connection);
      return connection;
    };
    /** A channel whose server-side closes (refusals) do not throw out of the test. */
    const channelOf = async (connection: amqp.ChannelModel): Promise<amqp.Channel> => {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      return channel;
    };

    beforeAll(async () => {
      broker = makeBroker();
      await broker.start();
    });

    afterAll(async () => {
      for (const connection of connections) await connection.close().catch(() => undefined);
      connections = [];
      await broker?.stop();
    });

    it('tells clients an AMQP URI without the password, with the public address when given', async () => {
      const workflowId = unique('wf');
      const access = await broker.activate(workflowId, [`${workflowId}-q`]);
      const port = new URL(server.amqpUrl).port;
      expect(access).toEqual({ brokerType: 'rabbitmq', brokerAddress: `amqp://gantry-wf-${workflowId}@127.0.0.1:${port}/%2F`, authToken: expect.stringMatching(/^[\w-]{43}$/) });
      const elsewhere = makeBroker({ publicAddress: 'mq.example.org:5672' });
      await elsewhere.start();
      try {
        const same = await elsewhere.activate(workflowId, [`${workflowId}-q`]);
        // Another broker object (a restart) with the same secret answers the same password.
        expect(same).toEqual({ ...access, brokerAddress: `amqp://gantry-wf-${workflowId}@mq.example.org:5672/%2F` });
      } finally {
        await elsewhere.stop();
      }
    });

    it("lets a workflow's client consume and publish its own queues, beside Gantry", async () => {
      const workflowId = unique('wf');
      const [inbox, outbox] = [`${workflowId}-in`, `${workflowId}-out`];
      const access = await broker.activate(workflowId, [inbox, outbox]);
      const client = await connectClient(access);
      const channel = await client.createConfirmChannel();
      expect((await channel.checkQueue(inbox)).queue).toBe(inbox);

      await broker.publish(inbox, ['{"event":1}']);
      const got = await channel.get(inbox, { noAck: false });
      expect(got && got.content.toString()).toBe('{"event":1}');
      channel.ack(got as amqp.GetMessage);

      channel.sendToQueue(outbox, Buffer.from('{"result":1}'), { persistent: true });
      await channel.waitForConfirms();
      const result = await broker.consume(outbox, { max: 1, visibilityMs: 30_000, waitMs: 5_000 });
      expect(result.map((message) => message.body)).toEqual(['{"result":1}']);
      expect(await broker.ack(outbox, [result[0]!.ackId])).toBe(1);

      // Dead letters are the workflow's to read too.
      expect((await channel.checkQueue(deadLetterQueueOf(inbox))).queue).toBe(deadLetterQueueOf(inbox));
      expect(await channel.get(deadLetterQueueOf(inbox), { noAck: true })).toBe(false);
    });

    it("is refused on another workflow's queues and on queues of its own making", async () => {
      const mine = unique('wf');
      const theirs = unique('wf');
      const access = await broker.activate(mine, [`${mine}-q`]);
      await broker.activate(theirs, [`${theirs}-q`]);
      await broker.publish(`${theirs}-q`, ['private']);
      const client = await connectClient(access);

      expect(await refusal((await channelOf(client)).get(`${theirs}-q`, { noAck: true }))).toBe(403);
      expect(await refusal((await channelOf(client)).get(deadLetterQueueOf(`${theirs}-q`), { noAck: true }))).toBe(403);
      const consumer = await channelOf(client);
      expect(await refusal(consumer.consume(`${theirs}-q`, () => undefined))).toBe(403);
      expect(await refusal((await channelOf(client)).deleteQueue(`${theirs}-q`))).toBe(403);
      expect(await refusal((await channelOf(client)).assertQueue(`${mine}-extra`, { durable: true }))).toBe(403);
      expect(await refusal((await channelOf(client)).assertExchange(`${mine}-x`, 'direct'))).toBe(403);
      // Publishing goes through the default exchange only.
      const confirm = await client.createConfirmChannel();
      confirm.on('error', () => undefined);
      expect(await refusal(new Promise((resolve, reject) => confirm.publish('amq.direct', `${mine}-q`, Buffer.from('x'), {}, (error) => (error ? reject(error) : resolve(undefined)))))).toMatch(/closed|403/);

      const theirMessages = await broker.consume(`${theirs}-q`, { max: 10, visibilityMs: 30_000, waitMs: 1_000 });
      expect(theirMessages.map((message) => message.body)).toEqual(['private']);
      await broker.ack(`${theirs}-q`, theirMessages.map((message) => message.ackId));
    });

    it('after deactivate: signing in is refused and open connections are closed', async () => {
      const workflowId = unique('wf');
      const access = await broker.activate(workflowId, [`${workflowId}-q`]);
      const client = await connectClient(access);
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await broker.deactivate(workflowId);
      await closed;
      expect(await refusal(amqp.connect(clientUrl(access)))).toMatch(/ACCESS.REFUSED/);
      // Deactivating again is fine; activating again gives the same access back.
      await broker.deactivate(workflowId);
      expect(await broker.activate(workflowId, [`${workflowId}-q`])).toEqual(access);
      await connectClient(access);
    });

    it('answers not_found for a queue RabbitMQ does not have', async () => {
      const missing = unique('missing');
      await expect(broker.publish(missing, ['lost'])).rejects.toMatchObject({ code: 'not_found', message: `queue ${missing} does not exist` });
      await expect(broker.consume(missing, { max: 1, visibilityMs: 1_000, waitMs: 0 })).rejects.toMatchObject({ code: 'not_found' });
      await expect(broker.depth(missing)).rejects.toMatchObject({ code: 'not_found' });
      // The broker goes on working.
      const workflowId = unique('wf');
      await broker.activate(workflowId, [`${workflowId}-q`]);
      await broker.publish(`${workflowId}-q`, ['fine']);
      const got = await broker.consume(`${workflowId}-q`, { max: 1, visibilityMs: 30_000, waitMs: 5_000 });
      expect(await broker.ack(`${workflowId}-q`, got.map((message) => message.ackId))).toBe(1);
    });

    it('refuses queues declared before with other settings, and names RabbitMQ cannot take', async () => {
      const workflowId = unique('wf');
      const q = `${workflowId}-q`;
      await broker.activate(workflowId, [q]);
      const stricter = makeBroker({ maxDeliveries: 5 });
      await stricter.start();
      try {
        await expect(stricter.activate(workflowId, [q])).rejects.toMatchObject({ code: 'conflict', message: `queue ${q} already exists in RabbitMQ with other settings` });
      } finally {
        await stricter.stop();
      }
      await expect(broker.activate(workflowId, ['amq.mine'])).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(broker.activate(workflowId, ['x'.repeat(251)])).rejects.toMatchObject({ code: 'invalid_input' });
    });

    it('survives losing its connection: leases end with it, the next call connects again', async () => {
      const workflowId = unique('wf');
      const q = `${workflowId}-q`;
      await broker.activate(workflowId, [q]);
      await broker.publish(q, ['survivor']);
      const [held] = await broker.consume(q, { max: 1, visibilityMs: 30_000, waitMs: 5_000 });
      errors.length = 0;
      // RabbitMQ drops Gantry's connection (as a restart or a network cut would). The
      // management API lists a connection a moment after it opened: look until it is there.
      const authorization = `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
      const dropOurs = async (): Promise<number> => {
        const listed = (await (await fetch(`${server.managementUrl}/api/connections?columns=name,client_properties`, { headers: { authorization } })).json()) as Array<{ name: string; client_properties: { connection_name?: string } }>;
        for (const connection of listed.filter((listedOne) => listedOne.client_properties.connection_name === 'gantry')) {
          await fetch(`${server.managementUrl}/api/connections/${encodeURIComponent(connection.name)}`, { method: 'DELETE', headers: { authorization } });
        }
        return errors.length;
      };
      await expect.poll(dropOurs, { timeout: 10_000, interval: 250 }).toBeGreaterThan(0);
      expect(errors[0]).toBeInstanceOf(GantryError);
      expect((errors[0] as GantryError).message).toMatch(/^lost the connection to RabbitMQ at amqp:\/\/gantry-admin@127\.0\.0\.1:\d+\/%2F/);

      expect(await broker.ack(q, [held!.ackId])).toBe(0);
      const again = await broker.consume(q, { max: 1, visibilityMs: 30_000, waitMs: 5_000 });
      expect(again).toMatchObject([{ body: 'survivor', deliveries: 2 }]);
      expect(await broker.ack(q, [again[0]!.ackId])).toBe(1);
    });
  });

  describe('an unreachable or unwelcoming RabbitMQ', () => {
    it('fails to start with unavailable, naming the URL without its password', async () => {
      const port = new URL(server.amqpUrl).port;
      const closedPort = Number(port) === 1 ? 2 : 1;
      const broker = new AmqpBroker({ url: `amqp://gantry-admin:s3cret-pass@127.0.0.1:${closedPort}/%2F`, maxDeliveries: 3, secret: SECRET });
      const failure = await broker.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(GantryError);
      expect(failure).toMatchObject({ code: 'unavailable', message: expect.stringContaining(`RabbitMQ at amqp://gantry-admin@127.0.0.1:${closedPort}/%2F cannot be reached`) });
      expect((failure as Error).message).not.toContain('s3cret-pass');
      await expect(broker.publish('q', ['x'])).rejects.toMatchObject({ code: 'unavailable' });
    });

    it('fails to start with unavailable when RabbitMQ refuses the credentials', async () => {
      const url = new URL(server.amqpUrl);
      url.password = 'wrong-password';
      const broker = new AmqpBroker({ url: url.toString(), managementUrl: server.managementUrl, maxDeliveries: 3, secret: SECRET });
      await expect(broker.start()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/refused Gantry's credentials/) });
    });
  });
});
