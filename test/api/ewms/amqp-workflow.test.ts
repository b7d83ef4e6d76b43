import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitMqAvailable, startRabbitMq, type RabbitMqServer } from '../../support/rabbitmq.js';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { EwmsClient, oneTaskWorkflow } from './ewms-client.js';

const available = rabbitMqAvailable();
if (!available) console.warn('rabbitmq-server is not installed: the workflow tests on RabbitMQ are skipped (apt-get install rabbitmq-server)');

/** Gantry with `--mq amqp://…`: the queues live in RabbitMQ, and EWMS users' own AMQP clients reach them with the profiles' credentials. */
describe.skipIf(!available)('an event workflow on RabbitMQ', () => {
  let rabbit: RabbitMqServer;
  let t: TestServer;
  let ewms: EwmsClient;

  beforeAll(async () => {
    rabbit = await startRabbitMq();
    t = await startTestServer('sqlite', { ewms: { tickMs: 200, mq: rabbit.amqpUrl, mqManagementUrl: rabbit.managementUrl } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
  }, 90_000);
  afterAll(async () => {
    await t?.destroy();
    await rabbit?.stop();
  });

  it("runs events through a pilot that takes them from RabbitMQ, published and read by the user's own AMQP client", async () => {
    // Two tasks, A's output B's input: each pilot's credential must reach its own task's queues.
    const body = oneTaskWorkflow('rev {{INFILE}} > {{OUTFILE}}') as any;
    body.tasks[0].output_queue_aliases = ['middle'];
    body.tasks.push({ ...body.tasks[0], task_args: 'tr a-z A-Z < {{INFILE}} > {{OUTFILE}}', input_queue_aliases: ['middle'], output_queue_aliases: ['output-queue'] });
    const created = await ewms.ok('POST', '/v1/workflows', body);
    const workflowId = created.workflow.workflow_id as string;
    const input = created.task_directives[0].input_queues[0] as string;
    const output = created.task_directives[1].output_queues[0] as string;
    const profiles = await eventually(async () => {
      const { mqprofiles } = await ewms.ok('GET', `/v1/mqs/workflows/${workflowId}/mq-profiles/public`);
      return mqprofiles.every((p: any) => p.is_activated) ? mqprofiles : undefined;
    }, 20_000, 'activated queues');
    const inbound = profiles.find((p: any) => p.mqid === input);
    expect(inbound).toMatchObject({ broker_type: 'rabbitmq', is_public: true });

    // As an EWMS user's script does with the profile: its address and token, its own client.
    const url = new URL(inbound.broker_address);
    url.password = encodeURIComponent(inbound.auth_token);
    expect(url.username).toBe(`gantry-wf-${workflowId}`);
    const connection = await amqp.connect(url.toString());
    try {
      const channel = await connection.createConfirmChannel();
      for (let i = 0; i < 10; i++) channel.sendToQueue(input, Buffer.from(JSON.stringify(`abc${i}`)), { persistent: true });
      await channel.waitForConfirms();
      // Gantry's own queue route publishes to the same queue.
      await ewms.ok('POST', `/v1/mqs/queues/${input}/messages`, { messages: ['xyz'] });
      const results: string[] = [];
      await eventually(async () => {
        const message = await channel.get(output, { noAck: false });
        if (message) {
          results.push(JSON.parse(message.content.toString()));
          channel.ack(message);
        }
        return results.length >= 11 ? true : undefined;
      }, 30_000, 'every result');
      expect(results.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `${i}CBA`), 'ZYX'].sort());
      // Another workflow's queue is out of this workflow's reach.
      const other = await ewms.ok('POST', '/v1/workflows', oneTaskWorkflow());
      const refused = await connection.createChannel();
      const closed = new Promise<Error>((resolve) => refused.on('error', resolve));
      await refused.get(other.task_directives[0].output_queues[0], { noAck: false }).catch(() => undefined);
      expect((await closed).message).toMatch(/ACCESS_REFUSED/);
      await ewms.ok('POST', `/v1/workflows/${other.workflow.workflow_id}/actions/abort`);
    } finally {
      await connection.close().catch(() => undefined);
    }
    expect(await ewms.ok('POST', `/v1/workflows/${workflowId}/actions/finished`)).toEqual({ workflow_id: workflowId, n_taskforces: 2 });
    // Ended: the workflow's RabbitMQ user is gone.
    await expect(amqp.connect(url.toString())).rejects.toThrow(/ACCESS_REFUSED|403/);
  }, 120_000);
});
