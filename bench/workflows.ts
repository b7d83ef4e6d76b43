/**
 * Event workflows (EWMS), in two parts:
 *
 * 1. The message queue alone: 4 publishers and 4 consumers, each a client of
 *    its own, moving messages in batches of 100 through one queue (mq-flow.ts):
 *    Gantry's embedded broker on SQLite and on PostgreSQL, through Gantry's
 *    queue routes (the clients in a process of their own, as users' and pilots'
 *    are) and called directly in this process (the store's share alone); beside
 *    RabbitMQ with a plain amqplib client doing the same in a process of its own.
 *    Judged by the embedded broker on PostgreSQL over HTTP: like RabbitMQ, a
 *    broker reached over its protocol by clients in another process.
 * 2. Events through a one-task workflow whose task is `cat`, with 1, 2 and 4
 *    pilots; baseline: the task alone, spawned from a small Node process one at
 *    a time and as many at a time as there are pilots.
 *
 * Targets: the embedded queue on PostgreSQL ≥ 10,000 messages/s and ≥ 0.5 ×
 * RabbitMQ with the same clients.
 */
import { startEmbeddedPostgres } from '../test/support/embedded-postgres.js';
import { startRabbitMq } from '../test/support/rabbitmq.js';
import { startSpawnLoad } from './lib/child-load.js';
import { eventServer, type EventRun } from './lib/event-workflow.js';
import type { FlowSpec } from './lib/mq-flow.js';
import { directBroker, httpBroker, rabbitBroker, type QueueRun } from './lib/queues-alone.js';
import { fmt, median } from './lib/stats.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const MQ_ROUNDS = Number(process.env.BENCH_MQ_ROUNDS ?? 5);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const EVENT_ROUNDS = Number(process.env.BENCH_EVENT_ROUNDS ?? 3);
const EVENT_STORES = (process.env.BENCH_EVENT_STORES ?? 'sqlite,postgres').split(',');
const PILOTS = [1, 2, 4];
const WARMUP_EVENTS = 50;
const SPEC: FlowSpec = { messages: MESSAGES, publishers: 4, consumers: 4, batch: 100, bodyBytes: 100 };
const MQ_TARGET = 10_000;
const RATIO_TARGET = 0.5;

const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const rounds = (values: readonly number[]): string => values.map(count).join(', ');
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

const postgres = await startEmbeddedPostgres({ durable: true });
const rabbit = await startRabbitMq();
try {
  let databases = 0;
  const freshDatabase = async (): Promise<string> => {
    const name = `bench_workflows_${++databases}`;
    await postgres.createDatabase(name);
    return postgres.url(name);
  };

  // ---- 1. the message queue alone --------------------------------------------
  console.log(
    `workflows 1/2: the message queue alone, ${count(MESSAGES)} messages a round, ${SPEC.publishers} publishers + ${SPEC.consumers} consumers ` +
      `(each a client with a connection of its own, the same for every broker), batches of ${SPEC.batch}, messages of ${SPEC.bodyBytes} characters; ` +
      `${MQ_ROUNDS} rounds in a rotated order after a warm-up of each`,
  );
  console.log('  messages/s = messages published, consumed and acked ÷ seconds from the first publish until the last message is acked');
  console.log('    (each message is published once, delivered once and acked once; every publish and ack is awaited before the next of that client)');
  console.log('  embedded broker: each publish, claim and ack one transaction; PostgreSQL with its default durability (fsync, synchronous_commit on), SQLite WAL, synchronous=NORMAL');
  console.log('    HTTP: Gantry\'s queue routes (POST …/messages, …/actions/consume, …/actions/ack) with the workflow\'s queue token, clients in a process of their own (node:http, keep-alive)');
  console.log('    direct: the broker interface called in this process (no HTTP, no credential check): the store\'s share alone');
  console.log(
    `  RabbitMQ: amqplib in a process of its own; a durable quorum queue declared as Gantry's AMQP broker declares a workflow's queue (replicated log, fsynced before confirms, as PostgreSQL's commit);`,
  );
  console.log(`    persistent messages, publisher confirms awaited per batch, prefetch ${SPEC.batch}, one multiple ack per batch of ${SPEC.batch}`);
  const systems: Array<{ name: string; open: () => Promise<{ run(label: string, spec: FlowSpec): Promise<QueueRun>; close(): Promise<void> }> }> = [
    { name: 'embedded, HTTP, PostgreSQL', open: async () => httpBroker(await freshDatabase()) },
    { name: 'embedded, HTTP, SQLite', open: () => httpBroker(undefined) },
    { name: 'embedded, direct, PostgreSQL', open: async () => directBroker(await freshDatabase()) },
    { name: 'embedded, direct, SQLite', open: () => directBroker(undefined) },
    { name: 'RabbitMQ (amqplib)', open: () => rabbitBroker(rabbit.amqpUrl) },
  ];
  const opened = await Promise.all(systems.map(async (system) => ({ ...system, broker: await system.open(), runs: [] as QueueRun[] })));
  try {
    for (const system of opened) await system.broker.run(`${system.name} warm-up`, { ...SPEC, messages: Math.max(SPEC.batch, MESSAGES / 4) });
    for (let round = 1; round <= MQ_ROUNDS; round++) {
      // Rotate the order, so that drift on a noisy machine hits each broker alike.
      const order = opened.map((_, index) => opened[(index + round - 1) % opened.length]!);
      for (const system of order) system.runs.push(await system.broker.run(`mq-${system.name.replace(/\W+/g, '-')}`, SPEC));
      console.log(`  round ${round}: ${opened.map((system) => `${system.name} ${count(system.runs.at(-1)!.perSecond)}`).join('; ')} msg/s`);
    }
  } finally {
    for (const system of opened) await system.broker.close();
  }
  const rates = (index: number): number[] => opened[index]!.runs.map((run) => run.perSecond);
  const medianRate = (index: number): number => median(rates(index));
  // The CPU of the median round, as average cores busy while it ran.
  const medianRun = (runs: QueueRun[]): QueueRun => [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((runs.length - 1) / 2)]!;
  for (const system of opened) {
    const { cpu, seconds } = medianRun(system.runs);
    const cores = (value: number): string => fmt(value / seconds, 2);
    const where = system.name.startsWith('RabbitMQ')
      ? `RabbitMQ ${cores(cpu.rabbitmq)}`
      : `${system.name.includes('HTTP') ? 'server' : 'broker and clients'} ${cores(cpu.node)}${system.name.endsWith('PostgreSQL') ? `, PostgreSQL ${cores(cpu.postgres)}` : ''}`;
    const clients = cpu.clients === undefined ? '' : `, clients ${cores(cpu.clients)}`;
    console.log(`  ${system.name.padEnd(30)} median ${count(median(system.runs.map((run) => run.perSecond))).padStart(7)} msg/s   (rounds ${rounds(system.runs.map((run) => run.perSecond))}; cores: ${where}${clients})`);
  }
  const [httpPg, , directPg, , rabbitMq] = [0, 1, 2, 3, 4].map(medianRate) as [number, number, number, number, number];
  const perRound = (index: number): number[] => opened[index]!.runs.map((run, round) => run.perSecond / opened[4]!.runs[round]!.perSecond);
  console.log(
    `  ratio embedded PostgreSQL over HTTP / RabbitMQ: ${fmt(httpPg / rabbitMq, 2)} of the medians (per round ${perRound(0).map((r) => fmt(r, 2)).join(', ')}; median ${fmt(median(perRound(0)), 2)})`,
  );
  console.log(`  ratio embedded PostgreSQL direct / RabbitMQ:    ${fmt(directPg / rabbitMq, 2)} of the medians (per round ${perRound(2).map((r) => fmt(r, 2)).join(', ')})`);
  console.log(`  ratio embedded SQLite over HTTP / RabbitMQ:     ${fmt(medianRate(1) / rabbitMq, 2)};  direct: ${fmt(medianRate(3) / rabbitMq, 2)}`);
  console.log(
    `  target (judged over HTTP, the same 8 clients in a process of their own as RabbitMQ's): PostgreSQL ≥ ${count(MQ_TARGET)} msg/s ${met(httpPg >= MQ_TARGET)} (${count(httpPg)}); ` +
      `≥ ${RATIO_TARGET} × RabbitMQ ${met(httpPg / rabbitMq >= RATIO_TARGET)} (${fmt(httpPg / rabbitMq, 2)})`,
  );
  console.log(`  the store alone (direct): PostgreSQL ≥ ${count(MQ_TARGET)} msg/s ${met(directPg >= MQ_TARGET)}; ≥ ${RATIO_TARGET} × RabbitMQ ${met(directPg / rabbitMq >= RATIO_TARGET)}`);

  // ---- 2. events through a workflow ------------------------------------------
  console.log(
    `\nworkflows 2/2: events through a one-task workflow whose task is \`cat {{INFILE}} > {{OUTFILE}}\`, ${count(EVENTS)} events a round, ${EVENT_ROUNDS} rounds per pilot count ` +
      `(after ${WARMUP_EVENTS} events to warm up each workflow)`,
  );
  console.log('  events/s = events ÷ seconds from the first publish to the input queue until the last result is consumed and acked from the output queue');
  console.log(`    (one client publishes in batches of 100 while another consumes and acks in batches of up to 100, over Gantry's queue routes)`);
  console.log('  pilots: `n_workers` sandboxed Gantry tasks on the local worker (8 slots), each running one task at a time with a prefetch of 4 (EWMS\'s defaults)');
  console.log("  baseline: the task alone from a small Node process, as a pilot runs it but with no queue: write the infile, spawn sh -c 'cat IN > OUT', read the outfile;");
  console.log('    one at a time (sequential), and as many at a time as there are pilots; measured in the same rounds, in alternating order');
  for (const store of EVENT_STORES) {
    const server = await eventServer(store === 'postgres' ? await freshDatabase() : undefined);
    const rows: Array<{ pilots: number; runs: EventRun[]; baseline: number[] }> = [];
    try {
      for (const pilots of PILOTS) {
        const workflow = await server.open(pilots);
        const row = { pilots, runs: [] as EventRun[], baseline: [] as number[] };
        try {
          await workflow.run('events-warm-up', WARMUP_EVENTS);
          for (let round = 1; round <= EVENT_ROUNDS; round++) {
            const steps = [
              async () => void row.runs.push(await workflow.run(`events-${store}-${pilots}-pilots`, EVENTS)),
              async () => void row.baseline.push(await (await startSpawnLoad(EVENTS, pilots)).go()),
            ];
            for (const step of round % 2 === 1 ? steps : steps.reverse()) await step();
          }
        } finally {
          await workflow.finish();
        }
        rows.push(row);
      }
    } finally {
      await server.close();
    }
    const sequential = median(rows.find((row) => row.pilots === 1)!.baseline);
    console.log(`  ${store === 'postgres' ? 'PostgreSQL' : 'SQLite'}:`);
    for (const row of rows) {
      const rate = median(row.runs.map((run) => run.perSecond));
      const baseline = median(row.baseline);
      const middle = [...row.runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((row.runs.length - 1) / 2)]!;
      const cores = (seconds: number): string => fmt(seconds / middle.seconds, 2);
      const { node, postgres: pg, machine } = middle.cpu;
      console.log(`    ${String(row.pilots)} pilot${row.pilots === 1 ? ': ' : 's:'} median ${fmt(rate).padStart(6)} events/s (rounds ${row.runs.map((run) => fmt(run.perSecond)).join(', ')})`);
      console.log(
        `              baseline ×${row.pilots} median ${fmt(baseline)} runs/s (rounds ${row.baseline.map((value) => fmt(value)).join(', ')}); ` +
          `ratio ${fmt(rate / baseline, 2)}${row.pilots === 1 ? '' : ` (to the sequential baseline ${fmt(rate / sequential, 2)})`}`,
      );
      console.log(
        `              cores: server ${cores(node)}${store === 'postgres' ? `, PostgreSQL ${cores(pg)}` : ''}, the rest of the machine (pilots, their tasks, the runtime) ${cores(machine - node - pg)}; machine ${cores(machine)} of 2`,
      );
    }
  }
} finally {
  await rabbit.stop();
  await postgres.stop();
}
