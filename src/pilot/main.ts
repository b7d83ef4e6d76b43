import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PilotSettings } from '../core/pilot-settings.js';
import { HttpQueues } from './http-queues.js';
import type { PilotMessage, QueueClient } from './queue-client.js';
import { runTask, type TaskCommand } from './run-task.js';

/**
 * The EWMS pilot as Gantry runs it: a task of its own that takes events from
 * its input queues, runs the task command on each, publishes the results to
 * every output queue and only then acks; a failed event is given back for
 * another try (and goes to the dead-letter queue after too many). It reads the
 * settings EWMS's own pilot reads where they apply (EWMS_PILOT_*), and reports
 * its state to Gantry, which keeps the taskforce's statuses.
 */

const settings = JSON.parse(process.env.GANTRY_PILOT ?? '{}') as PilotSettings;
const env = process.env;
const concurrency = positive(env.EWMS_PILOT_MAX_CONCURRENT_TASKS, 1);
const prefetch = Math.max(concurrency, positive(env.EWMS_PILOT_PREFETCH, concurrency * 4));
/** Unset: the pilot runs until it is stopped (its workflow ends). */
const idleTimeoutMs = env.EWMS_PILOT_TIMEOUT_QUEUE_INCOMING ? Number(env.EWMS_PILOT_TIMEOUT_QUEUE_INCOMING) * 1000 : undefined;
const stopOnTaskError = env.EWMS_PILOT_STOP_LISTENING_ON_TASK_ERROR === 'true' || env.EWMS_PILOT_STOP_LISTENING_ON_TASK_ERROR === 'True';

const command: TaskCommand = {
  args: settings.taskArgs,
  env: settings.taskEnv,
  infileExt: (env.EWMS_PILOT_INFILE_EXT ?? '.in').replace(/^\./, '').toLowerCase(),
  outfileExt: (env.EWMS_PILOT_OUTFILE_EXT ?? '.out').replace(/^\./, '').toLowerCase(),
  timeoutMs: env.EWMS_PILOT_TASK_TIMEOUT ? Number(env.EWMS_PILOT_TASK_TIMEOUT) * 1000 : undefined,
  dataHub: join(tmpdir(), `ewms-pilot-${settings.pilotId}`, 'data-hub'),
  workRoot: join(tmpdir(), `ewms-pilot-${settings.pilotId}`, 'tasks'),
};

const http = new HttpQueues(settings.server, settings.token, settings.visibilityMs, settings.pilotId);
const taskErrors: Record<string, number> = {};
let state = 'Tasking';
let stopping = false;
let done = 0;

async function queuesClient(): Promise<QueueClient> {
  const types = new Set(settings.profiles.map((profile) => profile.broker_type));
  if (types.size === 0 || (types.size === 1 && types.has('gantry'))) return http;
  if (types.size === 1 && types.has('rabbitmq')) {
    const { AmqpQueues } = await import('./amqp-queues.js');
    return AmqpQueues.connect(settings.profiles[0]!, settings.visibilityMs);
  }
  throw new Error(`the pilot cannot reach queues of broker types ${[...types].join(', ')}`);
}

async function report(): Promise<void> {
  try {
    await http.post(`/v1/taskforces/${encodeURIComponent(settings.taskforceUuid)}/pilot-status`, { pilot_id: settings.pilotId, state, task_errors: taskErrors, events_done: done });
  } catch (error) {
    process.stderr.write(`pilot: reporting its state failed: ${(error as Error).message}\n`);
  }
}

async function main(): Promise<void> {
  await mkdir(command.dataHub, { recursive: true });
  const queues = await queuesClient();
  process.on('SIGTERM', () => {
    stopping = true;
  });
  const reporter = setInterval(() => void report(), 2_000);
  await report();
  let lastEvent = Date.now();
  let next = 0;
  try {
    while (!stopping) {
      const queue = settings.inputQueues[next++ % settings.inputQueues.length]!;
      const events = await queues.take(queue, prefetch, 2_000);
      if (events.length === 0) {
        if (idleTimeoutMs !== undefined && Date.now() - lastEvent >= idleTimeoutMs) break;
        continue;
      }
      lastEvent = Date.now();
      const failed = await work(queues, queue, events);
      if (failed && stopOnTaskError) {
        state = 'FatalError';
        break;
      }
    }
  } finally {
    clearInterval(reporter);
    if (state !== 'FatalError') state = 'Done';
    await report();
    await queues.close();
  }
}

/** Runs the events `concurrency` at a time, then publishes the results and acks them in batches. */
async function work(queues: QueueClient, queue: string, events: PilotMessage[]): Promise<boolean> {
  const results: unknown[] = [];
  const acked: string[] = [];
  const failed: string[] = [];
  let index = 0;
  const lane = async (): Promise<void> => {
    while (index < events.length) {
      const event = events[index++]!;
      const result = await runTask(command, event.value);
      if (result.ok) {
        results.push(result.value);
        acked.push(event.ackId);
      } else {
        failed.push(event.ackId);
        taskErrors[result.error] = (taskErrors[result.error] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, lane));
  for (const output of settings.outputQueues) await queues.publish(output, results);
  await queues.ack(queue, acked);
  await queues.nack(queue, failed);
  done += acked.length;
  return failed.length > 0;
}

function positive(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

main().then(
  () => process.exit(state === 'FatalError' ? 1 : 0),
  (error: unknown) => {
    process.stderr.write(`pilot: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
