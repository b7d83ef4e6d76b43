import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { GantryError } from '../../core/errors.js';
import type { TorkClient } from '../http-client.js';
import { clientFor, withClientOptions, type ClientFlags } from '../client-options.js';

interface PublishFlags extends ClientFlags {
  jsonLines?: boolean;
}

interface ConsumeFlags extends ClientFlags {
  max: string;
  wait: string;
  follow?: boolean;
}

/** Most messages sent in one request (the server takes up to 1000). */
const PUBLISH_BATCH = 500;

/**
 * `gantry mq publish|consume`: a workflow's queues from the shell. A queue is
 * named by its id (`MQ-…`, as the task directives list them) or as
 * `<workflow id>/<alias>` for one of the workflow's public queues.
 */
export function registerMq(program: Command): void {
  const mq = program.command('mq').description("publish to and consume from an event workflow's message queues");

  withClientOptions(
    mq
      .command('publish <queue> [messages...]')
      .description('publish messages (the arguments, else one per line of standard input) as text, or as JSON with --json-lines')
      .option('--json-lines', 'each message is a JSON value (objects, numbers…), not text'),
  ).action(async (queue: string, messages: string[], flags: PublishFlags) => {
    const client = clientFor(flags);
    const id = await queueIdOf(client, queue);
    const parse = (line: string): unknown => {
      if (!flags.jsonLines) return line;
      try {
        return JSON.parse(line);
      } catch (error) {
        throw new GantryError('invalid_input', `not a JSON value: ${line.slice(0, 80)} (${(error as Error).message})`);
      }
    };
    let published = 0;
    let batch: unknown[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      published += (await client.mqPublish(id, batch)).body.published;
      batch = [];
    };
    const lines: AsyncIterable<string> | string[] = messages.length > 0 ? messages : createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (messages.length === 0 && line === '') continue;
      batch.push(parse(line));
      if (batch.length >= PUBLISH_BATCH) await flush();
    }
    await flush();
    process.stderr.write(`published ${published} message${published === 1 ? '' : 's'} to ${id}\n`);
  });

  withClientOptions(
    mq
      .command('consume <queue>')
      .description('print messages one per line (text as is, other values as JSON), acking each batch once printed')
      .option('--max <n>', 'most messages to take (with --follow: per request)', '100')
      .option('--wait <seconds>', 'how long to wait for a first message (0 to 20)', '5')
      .option('--follow', 'keep consuming until interrupted'),
  ).action(async (queue: string, flags: ConsumeFlags) => {
    const client = clientFor(flags);
    const id = await queueIdOf(client, queue);
    const max = wholeNumber(flags.max, '--max', 1, 1000);
    const waitSeconds = wholeNumber(flags.wait, '--wait', 0, 20);
    do {
      const { messages } = (await client.mqConsume(id, { max, waitSeconds })).body;
      for (const message of messages) process.stdout.write(`${typeof message.message === 'string' ? message.message : JSON.stringify(message.message)}\n`);
      if (messages.length > 0) await client.mqAck(id, messages.map((message) => message.ack_id));
      if (!flags.follow && messages.length > 0) break;
    } while (flags.follow);
  });
}

async function queueIdOf(client: TorkClient, queue: string): Promise<string> {
  const slash = queue.indexOf('/');
  if (slash < 0) return queue;
  const workflowId = queue.slice(0, slash);
  const alias = queue.slice(slash + 1);
  const { mqprofiles } = (await client.mqProfiles(workflowId)).body;
  const profile = mqprofiles.find((candidate) => candidate.alias === alias);
  if (!profile) throw new GantryError('not_found', `workflow ${workflowId} has no public queue ${alias} (public: ${mqprofiles.map((p) => p.alias).join(', ') || 'none'})`);
  return profile.mqid;
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new GantryError('invalid_input', `${flag} must be a whole number from ${min} to ${max}`);
  return value;
}
