/**
 * The clients of the message-queue benchmark in a process of their own, as
 * users' clients are: the load of mq-flow.ts on Gantry's queue routes (`http`)
 * or on RabbitMQ (`amqp`). Settings come as JSON in MQ_LOAD (see `MqLoad`).
 *
 * It connects its clients, prints `ready`, starts when a line arrives on stdin
 * and prints `done SECONDS CPU_SECONDS` at the end: the run's wall time and the
 * CPU the clients used. Its process is named `mq-load`, so cpu.ts does not
 * count it as the runtime's launcher.
 */
import { once } from 'node:events';
import { amqpFlow, httpQueue } from './mq-clients.js';
import { pullFlow, type FlowResult, type FlowSpec } from './mq-flow.js';

export type MqLoad = { spec: FlowSpec } & ({ mode: 'http'; url: string; token: string; queue: string } | { mode: 'amqp'; url: string; queue: string });

process.title = 'mq-load';
const load = JSON.parse(process.env.MQ_LOAD ?? '{}') as MqLoad;
let run: () => Promise<FlowResult>;
let close: () => Promise<void>;
if (load.mode === 'http') {
  const clients: Array<ReturnType<typeof httpQueue>> = [];
  run = () =>
    pullFlow(load.spec, () => {
      const client = httpQueue(load.url, load.token, load.queue);
      clients.push(client);
      return client;
    });
  close = async () => clients.forEach((client) => client.close());
} else {
  const flow = await amqpFlow(load.spec, load.url, load.queue);
  run = flow.go;
  close = flow.close;
}
console.log('ready');
await once(process.stdin, 'data');
const cpuAtStart = process.cpuUsage();
const result = await run();
const used = process.cpuUsage(cpuAtStart);
await close();
console.log(`done ${result.seconds} ${(used.user + used.system) / 1e6}`);
process.exit(0);
