/**
 * The message queue alone, three ways with the same load (mq-flow.ts): the
 * embedded broker called directly in this process (the store's share alone),
 * the embedded broker through Gantry's queue routes with the clients in a
 * process of their own (what users and pilots see), and RabbitMQ with the
 * same clients in a process of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { queueArguments } from '../../src/broker/amqp-broker.js';
import { StoreBroker } from '../../src/broker/store-broker.js';
import { openStore, type Store } from '../../src/store/open.js';
import { startMqLoad } from './child-load.js';
import { descendantsMeter } from './cpu.js';
import { catWorkflow, createWorkflow, ewmsClient } from './ewms.js';
import { VISIBILITY_SECONDS } from './mq-clients.js';
import { pullFlow, type FlowSpec, type PullQueue } from './mq-flow.js';
import { phase } from './phase.js';
import { benchServer } from './server.js';

export interface QueueRun {
  perSecond: number;
  seconds: number;
  /** CPU seconds while it ran: this process (the server, or the broker and its clients), PostgreSQL, RabbitMQ, the clients' process. */
  cpu: { node: number; postgres: number; rabbitmq: number; clients?: number };
}

/** Starts measuring the CPU of what a run involves; the returned function ends it. */
function queueMeter(): (clients?: number) => QueueRun['cpu'] {
  const node = process.cpuUsage();
  const postgres = descendantsMeter('postgres');
  const rabbitmq = descendantsMeter('beam.smp');
  return (clients) => {
    const used = process.cpuUsage(node);
    return { node: (used.user + used.system) / 1e6, postgres: postgres(), rabbitmq: rabbitmq(), ...(clients === undefined ? {} : { clients }) };
  };
}

/** A location that a task management service outside Gantry would serve: Gantry activates the queues, and no pilot starts. */
const ELSEWHERE = 'elsewhere';
/** Gantry's default number of deliveries before a message is dead-lettered. */
const MAX_DELIVERIES = 5;
let queues = 0;
const freshQueue = (prefix: string): string => `${prefix}-${process.pid}-${++queues}`;

/** The embedded broker on its own store, called in this process by every client. */
export async function directBroker(database: string | undefined): Promise<{ run(label: string, spec: FlowSpec): Promise<QueueRun>; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-mq-'));
  const store: Store = await openStore({ database, dataDir });
  const broker = new StoreBroker(store, { address: () => 'http://127.0.0.1:1', tokenOf: () => '', maxDeliveries: MAX_DELIVERIES });
  await broker.start();
  return {
    run: async (label, spec) => {
      const queueId = freshQueue('direct');
      // The queue service stores each message as its JSON text; the same here.
      const client = (): PullQueue => ({
        publish: (bodies) => broker.publish(queueId, bodies.map((body) => JSON.stringify(body))),
        consume: async (max, waitMs) => (await broker.consume(queueId, { max, waitMs, visibilityMs: VISIBILITY_SECONDS * 1000 })).map((message) => message.ackId),
        ack: (ackIds) => broker.ack(queueId, ackIds),
      });
      const meter = queueMeter();
      const result = await phase(label, spec.messages, () => pullFlow(spec, client));
      return { ...result, cpu: meter() };
    },
    close: async () => {
      await broker.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real server and a fresh workflow per run, whose input queue the clients
 * use with its queue token, as pilots do. The workflow's task is at a location
 * that Gantry does not serve itself, so no pilot takes the messages.
 */
export async function httpBroker(database: string | undefined): Promise<{ run(label: string, spec: FlowSpec): Promise<QueueRun>; close(): Promise<void> }> {
  const server = await benchServer({ database, auth: { adminPassword: 'bench-password', anonymous: {} }, worker: { enabled: false }, ewms: { locations: { [ELSEWHERE]: { schedd: 'bench-schedd' } } } });
  const ewms = ewmsClient(server.url, await server.core.identity.issueJwt('admin'));
  let workflows = 0;
  return {
    run: async (label, spec) => {
      const workflow = await createWorkflow(ewms, catWorkflow(ELSEWHERE, 1, ++workflows));
      const load = await startMqLoad({ mode: 'http', spec, url: server.url, token: workflow.token, queue: workflow.input });
      const meter = queueMeter();
      const result = await phase(label, spec.messages, () => load.go());
      const cpu = meter(result.clientCpuSeconds);
      await ewms('POST', `/v1/workflows/${workflow.workflowId}/actions/finished`);
      return { perSecond: result.perSecond, seconds: result.seconds, cpu };
    },
    close: () => server.cleanup(),
  };
}

/** RabbitMQ: a fresh queue per run, declared as Gantry's AMQP broker declares a workflow's queues (durable, quorum). */
export async function rabbitBroker(url: string): Promise<{ run(label: string, spec: FlowSpec): Promise<QueueRun>; close(): Promise<void> }> {
  const admin = await amqp.connect(url);
  // A lost connection fails the next call; the event itself needs no handling.
  admin.on('error', () => undefined);
  const channel = await admin.createChannel();
  return {
    run: async (label, spec) => {
      const queue = freshQueue('rabbit');
      await channel.assertQueue(queue, { durable: true, arguments: queueArguments(queue, MAX_DELIVERIES) });
      const load = await startMqLoad({ mode: 'amqp', spec, url, queue });
      const meter = queueMeter();
      const result = await phase(label, spec.messages, () => load.go());
      const cpu = meter(result.clientCpuSeconds);
      const left = await channel.checkQueue(queue);
      if (left.messageCount !== 0) throw new Error(`${left.messageCount} messages left in ${queue}`);
      await channel.deleteQueue(queue);
      return { perSecond: result.perSecond, seconds: result.seconds, cpu };
    },
    close: () => admin.close(),
  };
}
