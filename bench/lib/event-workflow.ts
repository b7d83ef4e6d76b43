/**
 * Events through a one-task workflow on a real server with its worker and the
 * sandboxed process runtime: the workflow's pilots are Gantry tasks on the
 * local worker, each a sandboxed `node dist/pilot/main.js` that takes events
 * from the input queue over Gantry's queue routes, runs `cat {{INFILE}} >
 * {{OUTFILE}}` on each and publishes the outfile to the output queue.
 */
import { descendantsMeter, machineBusySeconds } from './cpu.js';
import { catWorkflow, createWorkflow, ewmsClient, waitFor } from './ewms.js';
import { httpQueue } from './mq-clients.js';
import { phase } from './phase.js';
import { benchServer } from './server.js';

/** Events a publish or a consume carries at most (the clients' batches). */
const BATCH = 100;
/** How long the results' consumer waits on an empty output queue. */
const WAIT_MS = 1_000;

export interface EventRun {
  perSecond: number;
  seconds: number;
  /** CPU seconds while it ran: this process (the server and the two clients), PostgreSQL, the whole machine. */
  cpu: { node: number; postgres: number; machine: number };
}

export interface EventWorkflow {
  /** Publishes `events` events to the input queue, consumes and acks their results from the output queue: events/s. */
  run(label: string, events: number): Promise<EventRun>;
  /** Ends the workflow and waits until its pilots have ended. */
  finish(): Promise<void>;
}

/** A server whose local worker runs pilots; `open(pilots)` makes a workflow and waits until all its pilots are taking events. */
export async function eventServer(database: string | undefined): Promise<{ open(pilots: number): Promise<EventWorkflow>; close(): Promise<void> }> {
  const server = await benchServer({ database, auth: { adminPassword: 'bench-password', anonymous: {} } });
  const ewms = ewmsClient(server.url, await server.core.identity.issueJwt('admin'));
  let workflows = 0;
  let rounds = 0;
  return {
    open: async (pilots) => {
      const workflow = await createWorkflow(ewms, catWorkflow(server.core.config.worker.location, pilots, ++workflows));
      const [taskforce] = (await ewms('POST', '/v1/query/taskforces', { query: { workflow_id: workflow.workflowId } })).taskforces as Array<{ taskforce_uuid: string }>;
      const doc = async (): Promise<any> => ewms('GET', `/v1/taskforces/${taskforce!.taskforce_uuid}`);
      // Pilots report `Tasking` once they are up and about to take their first events.
      await waitFor(`${pilots} pilots taking events`, async () => ((await doc()).compound_statuses?.RUNNING?.Tasking === pilots ? true : undefined));
      const input = httpQueue(server.url, workflow.token, workflow.input);
      const output = httpQueue(server.url, workflow.token, workflow.output);
      const run = async (label: string, count: number): Promise<EventRun> => {
        const round = ++rounds;
        const events = Array.from({ length: count }, (_, index) => `event ${round}-${index}`);
        const results: string[] = [];
        const startedAt = performance.now();
        const node = process.cpuUsage();
        const postgres = descendantsMeter('postgres');
        const machine = machineBusySeconds();
        await phase(label, count, async () => {
          const publishing = (async () => {
            for (let i = 0; i < count; i += BATCH) await input.publish(events.slice(i, i + BATCH));
          })();
          while (results.length < count) {
            const taken = await output.take(BATCH, WAIT_MS);
            if (taken.length === 0) continue;
            await output.ack(taken.map((message) => message.ackId));
            for (const message of taken) results.push(message.value as string);
          }
          await publishing;
        });
        const seconds = (performance.now() - startedAt) / 1000;
        const used = process.cpuUsage(node);
        const cpu = { node: (used.user + used.system) / 1e6, postgres: postgres(), machine: machineBusySeconds() - machine };
        if ([...results].sort().join('\n') !== [...events].sort().join('\n')) throw new Error(`${label}: the results are not the events`);
        return { perSecond: count / seconds, seconds, cpu };
      };
      return {
        run,
        finish: async () => {
          input.close();
          output.close();
          await ewms('POST', `/v1/workflows/${workflow.workflowId}/actions/finished`);
          await waitFor('the pilots to end', async () => ((await doc()).phase === 'condor-complete' ? true : undefined));
        },
      };
    },
    close: () => server.cleanup(),
  };
}
