import { counts, ref, type Schema } from './openapi-documents.js';

const queueLimits = { maxItems: 1_000 };

/** Gantry's own shapes: its queue routes, the MQS profile, the TMS bodies and the pilots' reports. */
export const BODY_SCHEMAS: Record<string, Schema> = {
  MQProfileObject: {
    type: 'object',
    description: "What a client needs to reach one of the workflow's queues.",
    properties: {
      mqid: { type: 'string', description: 'The queue\'s id (`MQ-…`).' },
      workflow_id: { type: 'string', description: 'The workflow the queue belongs to.' },
      alias: { type: 'string', description: 'The name the workflow request gave the queue.' },
      is_public: { type: 'boolean', description: "Whether the queue is among the request's `public_queue_aliases` (its owner may use it)." },
      is_activated: { type: 'boolean', description: 'Whether the queue exists in the broker yet; it is made shortly after the workflow.' },
      auth_token: {
        type: 'string',
        description: "The workflow's credential for its queues once they are activated (empty before): with `gantry`, the queue token to present as a bearer token on the queue routes; with `rabbitmq`, the password of the workflow's broker user.",
      },
      broker_type: { type: 'string', description: "The broker behind the queues: `gantry` (Gantry's own, through the queue routes) or `rabbitmq`." },
      broker_address: { type: 'string', description: "Where to reach the queues once activated: with `gantry`, this server's URL; with `rabbitmq`, an AMQP URI naming the workflow's user, without its password." },
    },
    required: ['mqid', 'workflow_id', 'alias', 'is_public', 'is_activated', 'auth_token', 'broker_type', 'broker_address'],
    additionalProperties: false,
  },
  QueueMessage: {
    type: 'object',
    description: 'A message handed out by a consume; it is leased to the consumer until acked, nacked or its visibility timeout ends.',
    properties: {
      ack_id: { type: 'string', description: 'What acks or nacks this delivery.' },
      message: { description: 'The message as published (any JSON value; text when something else published it straight to the broker).' },
      deliveries: { type: 'integer', minimum: 1, description: 'How many times the message has been delivered, this time included; past `ewms.maxDeliveries` it goes to the dead-letter queue.' },
    },
    required: ['ack_id', 'message', 'deliveries'],
    additionalProperties: false,
  },
  QueueDepth: {
    type: 'object',
    description: "How many messages a queue holds.",
    properties: {
      mqid: { type: 'string', description: 'The queue.' },
      ready: { type: 'integer', description: 'Messages waiting to be delivered.' },
      leased: { type: 'integer', description: 'Messages delivered and not yet acked.' },
      dead: { type: 'integer', description: "Messages in the queue's dead-letter queue." },
    },
    required: ['mqid', 'ready', 'leased', 'dead'],
    additionalProperties: false,
  },
  PublishRequest: {
    type: 'object',
    properties: { messages: { type: 'array', description: 'The messages, any JSON values, in order.', items: {}, minItems: 1, ...queueLimits } },
    required: ['messages'],
    additionalProperties: false,
  },
  PublishResponse: {
    type: 'object',
    properties: { published: { type: 'integer', description: 'How many messages were published.' } },
    required: ['published'],
    additionalProperties: false,
  },
  ConsumeRequest: {
    type: 'object',
    description: 'Every field is optional; an empty or missing body takes one message without waiting.',
    properties: {
      max_messages: { type: 'integer', minimum: 1, maximum: 1_000, default: 1, description: 'Most messages to take.' },
      visibility_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 43_200, description: "Seconds the messages stay leased before they are delivered again; defaults to the server's `ewms.visibilitySeconds`." },
      wait: { type: 'number', minimum: 0, maximum: 20, default: 0, description: 'Seconds to wait for a message when none is ready.' },
      consumer: { type: 'string', maxLength: 64, description: "Who consumes (a pilot's id): what a consumer still holds is given back as soon as it is seen to end." },
    },
    additionalProperties: false,
  },
  ConsumeResponse: {
    type: 'object',
    properties: { messages: { type: 'array', description: 'The messages taken (none when nothing was ready in time, or the queue is not activated yet).', items: ref('QueueMessage') } },
    required: ['messages'],
    additionalProperties: false,
  },
  AckRequest: {
    type: 'object',
    properties: { ack_ids: { type: 'array', description: 'The deliveries to ack.', items: { type: 'string' }, ...queueLimits } },
    required: ['ack_ids'],
    additionalProperties: false,
  },
  AckResponse: {
    type: 'object',
    properties: { acked: { type: 'integer', description: 'How many deliveries were acked (an unknown or expired ack id counts for none).' } },
    required: ['acked'],
    additionalProperties: false,
  },
  NackRequest: {
    type: 'object',
    properties: {
      ack_ids: { type: 'array', description: 'The deliveries to give back.', items: { type: 'string' }, ...queueLimits },
      delay: { type: 'number', minimum: 0, maximum: 43_200, default: 0, description: 'Seconds before the messages may be delivered again.' },
    },
    required: ['ack_ids'],
    additionalProperties: false,
  },
  NackResponse: {
    type: 'object',
    properties: { released: { type: 'integer', description: 'How many deliveries were given back.' } },
    required: ['released'],
    additionalProperties: false,
  },
  PilotStatusRequest: {
    type: 'object',
    description: "A pilot's report of itself; it is folded into its taskforce's `compound_statuses` and `top_task_errors`.",
    properties: {
      pilot_id: { type: 'string', minLength: 1, description: 'The pilot reporting.' },
      state: { type: 'string', minLength: 1, maxLength: 64, description: "The pilot's state ('Tasking', 'Idle', …)." },
      task_errors: counts('Its task errors so far, with how often each was seen (none when left out).'),
      events_done: { type: 'integer', minimum: 0, description: 'How many events it has finished.' },
    },
    required: ['pilot_id', 'state'],
    additionalProperties: false,
  },
  TaskforceUuidResponse: {
    type: 'object',
    properties: { taskforce_uuid: { type: 'string', description: 'The taskforce.' } },
    required: ['taskforce_uuid'],
    additionalProperties: false,
  },
  CondorSubmitRequest: {
    type: 'object',
    description: 'What the task management service submitted. Any other TaskforceObject field may be sent too, and is ignored.',
    properties: {
      cluster_id: { type: 'integer', description: 'The HTCondor cluster of the workers.' },
      n_workers: { type: 'integer', minimum: 0, description: 'How many workers were submitted.' },
      submit_dict: { type: 'object', description: 'The submit description used.', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      job_event_log_fpath: { type: 'string', description: "Where the submission's job event log is." },
    },
    required: ['cluster_id', 'n_workers', 'submit_dict', 'job_event_log_fpath'],
  },
  TmsErrorRequest: {
    type: 'object',
    properties: { error: { type: 'string', description: 'Why it failed; kept in the phase change log.' } },
    additionalProperties: false,
  },
  CondorCompleteRequest: {
    type: 'object',
    properties: { condor_complete_ts: { type: 'integer', description: "When the cluster's last worker ended (epoch seconds)." } },
    required: ['condor_complete_ts'],
    additionalProperties: false,
  },
  StatusesRequest: {
    type: 'object',
    description: "Reports of taskforces' workers, keyed by taskforce id; each report replaces the one before.",
    properties: {
      top_task_errors_by_taskforce: { type: 'object', description: 'Each taskforce\'s `top_task_errors`.', additionalProperties: counts('Task errors with their counts.') },
      compound_statuses_by_taskforce: {
        type: 'object',
        description: 'Each taskforce\'s `compound_statuses`.',
        additionalProperties: { type: 'object', description: 'Worker counts by cluster status, then by pilot state.', additionalProperties: counts('Worker counts by pilot state.') },
      },
    },
    additionalProperties: false,
  },
  StatusesResponse: {
    type: 'object',
    properties: {
      results: {
        type: 'array',
        description: 'One result for each taskforce named.',
        items: {
          type: 'object',
          properties: {
            uuid: { type: 'string', description: 'The taskforce.' },
            status: { type: 'string', enum: ['updated', 'failed'], description: 'Whether its report was kept.' },
            error: { type: 'string', description: 'Why not (a taskforce that does not exist).' },
          },
          required: ['uuid', 'status'],
          additionalProperties: false,
        },
      },
    },
    required: ['results'],
    additionalProperties: false,
  },
};
