import { ADD_WORKERS_REQUEST, ref, WORKFLOW_REQUEST, type Schema } from './openapi-documents.js';

type Security = Array<Record<string, string[]>>;

/** Any user credential: what userRoute and the TMS routes take. */
const USER: Security = [{ bearerAuth: [] }, { basicAuth: [] }];
/** queueRoute: a user credential, or the workflow's queue token. */
const QUEUE: Security = [...USER, { queueToken: [] }];
const PUBLIC: Security = [];

type ErrorStatus = 400 | 401 | 403 | 404 | 422;
const ERROR_RESPONSES: Record<ErrorStatus, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 422: 'UnprocessableEntity' };

const REPLAY =
  "Safe to replay: with an `Idempotency-Key` header, a request with a key the same user used within `ewms.replaySeconds` (300 unless configured) gets the first request's answer and makes nothing; without one, an identical body from the same user within that time counts as that same request.";
const TMS_ROLE = "For a task management service outside Gantry (one that drives HTCondor): needs the role `api` or `admin`.";

interface Operation {
  id: string;
  tag: string;
  summary: string;
  description: string;
  security: Security;
  parameters?: string[];
  body?: { schema: Schema; required: boolean; description?: string };
  /** The 200 answer. */
  ok: { description: string; schema: Schema };
  /** Other successful answers, by status. */
  more?: Record<string, { description: string; schema: Schema }>;
  errors: ErrorStatus[];
}

export const json = (schema: Schema): Schema => ({ 'application/json': { schema } });

function operation(op: Operation): Schema {
  const responses: Schema = { 200: { description: op.ok.description, content: json(op.ok.schema) } };
  for (const [status, answer] of Object.entries(op.more ?? {})) responses[status] = { description: answer.description, content: json(answer.schema) };
  for (const status of op.errors) responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` };
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    description: op.description,
    security: op.security,
    ...(op.parameters ? { parameters: op.parameters.map((name) => ({ $ref: `#/components/parameters/${name}` })) } : {}),
    ...(op.body
      ? { requestBody: { required: op.body.required, ...(op.body.description ? { description: op.body.description } : {}), content: json(op.body.schema) } }
      : {}),
    responses,
  };
}

const object = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const empty: Schema = { type: 'object', maxProperties: 0, description: 'Nothing to do now.' };
const taskforceUuid = ref('TaskforceUuidResponse');

const createdWorkflow = object({
  workflow: ref('WorkflowObject'),
  task_directives: { type: 'array', items: ref('TaskDirectiveObject') },
  taskforces: { type: 'array', items: ref('TaskforceObject') },
});

const pendingStarter = object(
  {
    taskforce: ref('TaskforceObject'),
    task_directive: ref('TaskDirectiveObject'),
    mqprofiles: { type: 'array', description: "Profiles of the task directive's input and output queues.", items: ref('MQProfileObject') },
  },
  'A taskforce to start, with what its pilots need.',
);

const QUERIES: Array<{ path: string; id: string; tag: string; field: string; schema: string; what: string }> = [
  { path: '/v1/query/workflows', id: 'queryWorkflows', tag: 'workflows', field: 'workflows', schema: 'WorkflowObject', what: 'workflows' },
  { path: '/v1/query/task-directives', id: 'queryTaskDirectives', tag: 'task-directives', field: 'task_directives', schema: 'TaskDirectiveObject', what: 'task directives' },
  { path: '/v1/query/taskforces', id: 'queryTaskforces', tag: 'taskforces', field: 'taskforces', schema: 'TaskforceObject', what: 'taskforces' },
];

const QUEUE_READ =
  'The workflow\'s owner reaches its public queues, its queue token all of its queues, an admin every queue. `<mqid>.dead` names the queue\'s dead-letter queue, which is read, acked and nacked the same way.';

/** Every route of the EWMS plugin, by path and method. */
export function ewmsPaths(): Record<string, Schema> {
  const tmsAction = (id: string, summary: string, description: string, body: Operation['body']): Schema => ({
    post: operation({ id, tag: 'tms', summary, description: `${description} ${TMS_ROLE}`, security: USER, parameters: ['TaskforceUuid'], body, ok: { description: 'The taskforce.', schema: taskforceUuid }, errors: [400, 401, 403, 404, 422] }),
  });
  const pending = (id: string, summary: string, description: string, schema: Schema): Schema => ({
    get: operation({ id, tag: 'tms', summary, description: `${description} ${TMS_ROLE}`, security: USER, parameters: ['Schedd', 'Collector'], ok: { description: 'A taskforce, or `{}` when there is none.', schema }, errors: [400, 401, 403] }),
  });
  const deactivate = (id: string, how: 'ABORTED' | 'FINISHED', summary: string): Schema => ({
    post: operation({
      id,
      tag: 'workflows',
      summary,
      description: `Marks the workflow ${how}: its taskforces that are not already ending are to be stopped, and its queues take no more messages. Only its owner, an admin or the role \`api\` may. Safe to replay: asked again with the same ending, it answers as the first time; a workflow already ended otherwise is not found.`,
      security: USER,
      parameters: ['WorkflowId'],
      ok: { description: 'The workflow and how many taskforces are being stopped.', schema: ref('DeactivatedWorkflowResponseObject') },
      errors: [401, 403, 404, 422],
    }),
  });

  const entries: Record<string, Schema> = {
    '/v1/workflows': {
      post: operation({
        id: 'createWorkflow',
        tag: 'workflows',
        summary: 'Make a workflow',
        description: `Makes a workflow with its task directives, one taskforce for each task's cluster location, and one queue for each queue alias. Every cluster location must be known (a location of Gantry's workers or of an outside task management service). ${REPLAY}`,
        security: USER,
        parameters: ['IdempotencyKey'],
        body: { schema: WORKFLOW_REQUEST, required: true },
        ok: { description: 'What was made.', schema: createdWorkflow },
        errors: [400, 401, 403],
      }),
    },
    '/v1/workflows/{workflow_id}': {
      get: operation({ id: 'getWorkflow', tag: 'workflows', summary: 'Read a workflow', description: "A workflow; users see their own, admins and the role `api` all.", security: USER, parameters: ['WorkflowId'], ok: { description: 'The workflow.', schema: ref('WorkflowObject') }, errors: [401, 403, 404] }),
    },
    '/v1/workflows/{workflow_id}/actions/abort': deactivate('abortWorkflow', 'ABORTED', 'Abort a workflow'),
    '/v1/workflows/{workflow_id}/actions/finished': deactivate('finishWorkflow', 'FINISHED', 'Mark a workflow finished'),
    '/v1/task-directives/{task_id}': {
      get: operation({ id: 'getTaskDirective', tag: 'task-directives', summary: 'Read a task directive', description: 'A task directive of a workflow the caller sees.', security: USER, parameters: ['TaskId'], ok: { description: 'The task directive.', schema: ref('TaskDirectiveObject') }, errors: [401, 403, 404] }),
    },
    '/v1/task-directives/{task_id}/actions/add-workers': {
      post: operation({
        id: 'addWorkers',
        tag: 'task-directives',
        summary: 'Add a taskforce to a task directive',
        description: `Makes one more taskforce of the task directive at a cluster location, with its first taskforce's pilot and worker settings and a priority raised so that it starts ahead of the rest. The workflow must be active and the location known (else 422). Only the workflow's owner, an admin or the role \`api\` may. ${REPLAY}`,
        security: USER,
        parameters: ['TaskId', 'IdempotencyKey'],
        body: { schema: ADD_WORKERS_REQUEST, required: true },
        ok: { description: 'The new taskforce.', schema: ref('TaskforceObject') },
        errors: [400, 401, 403, 404, 422],
      }),
    },
    '/v1/taskforces/{taskforce_uuid}': {
      get: operation({ id: 'getTaskforce', tag: 'taskforces', summary: 'Read a taskforce', description: 'A taskforce of a workflow the caller sees.', security: USER, parameters: ['TaskforceUuid'], ok: { description: 'The taskforce.', schema: ref('TaskforceObject') }, errors: [401, 403, 404] }),
    },
    '/v1/taskforces/{taskforce_uuid}/pilot-status': {
      post: operation({
        id: 'reportPilotStatus',
        tag: 'taskforces',
        summary: "Report a pilot's state",
        description: "Sent by Gantry's pilots with their workflow's queue token (to a token of another workflow the taskforce is not there: 404); admins may send it too, other users get 403. Each report replaces the pilot's previous one, so it is safe to replay.",
        security: QUEUE,
        parameters: ['TaskforceUuid'],
        body: { schema: ref('PilotStatusRequest'), required: true },
        ok: { description: 'The taskforce the report was taken for.', schema: taskforceUuid },
        errors: [400, 401, 403, 404],
      }),
    },
  };

  for (const query of QUERIES) {
    entries[query.path] = {
      post: operation({
        id: query.id,
        tag: query.tag,
        summary: `Query ${query.what}`,
        description: `The ${query.what} that match a query, one page at a time (\`ewms.queryPageRows\` at most); users see those of their own workflows only. A read: safe to replay.`,
        security: USER,
        body: { schema: ref('FindObject'), required: true },
        ok: {
          description: 'One page of matches.',
          schema: object({ [query.field]: { type: 'array', description: 'The matches; with a projection, only the fields asked for.', items: ref(query.schema) }, next_after: ref('QueryNextAfter') }),
        },
        errors: [400, 401, 403],
      }),
    };
  }

  Object.assign(entries, {
    '/v1/tms/pending-starter/taskforces': pending(
      'getPendingStarter',
      'Next taskforce to start',
      'The taskforce waiting to start at the schedd with the highest priority, fewest failed submissions and oldest first; one that failed to submit three times is no longer offered.',
      { anyOf: [empty, pendingStarter] },
    ),
    '/v1/tms/pending-stopper/taskforces': pending(
      'getPendingStopper',
      'Next taskforce to stop',
      'The oldest taskforce waiting to be stopped at the schedd whose cluster was submitted; one that failed to be removed three times is no longer offered.',
      { anyOf: [empty, ref('TaskforceObject')] },
    ),
    '/v1/tms/condor-submit/taskforces/{taskforce_uuid}': tmsAction(
      'reportCondorSubmit',
      'Report a submitted taskforce',
      'The taskforce (waiting to start) was submitted to HTCondor: it moves to `condor-submit` and keeps the submission. Safe to replay: reporting the same cluster again changes nothing.',
      { schema: ref('CondorSubmitRequest'), required: true },
    ),
    '/v1/tms/condor-submit/taskforces/{taskforce_uuid}/failed': tmsAction(
      'reportCondorSubmitFailed',
      'Report a failed submission',
      'Submitting the taskforce (waiting to start) failed: the attempt is logged and the taskforce stays waiting. Each report is logged as one more failed attempt. An empty or missing body reads as `{}`.',
      { schema: ref('TmsErrorRequest'), required: false },
    ),
    '/v1/tms/condor-rm/taskforces/{taskforce_uuid}': tmsAction(
      'reportCondorRm',
      'Report a removed taskforce',
      "The taskforce's cluster was removed: it moves to `condor-rm`. Safe to replay. The body, if any, must be `{}`.",
      { schema: { type: 'object', maxProperties: 0, additionalProperties: false }, required: false },
    ),
    '/v1/tms/condor-rm/taskforces/{taskforce_uuid}/failed': tmsAction(
      'reportCondorRmFailed',
      'Report a failed removal',
      "Removing the taskforce's cluster failed: the attempt is logged. Each report is logged as one more failed attempt. An empty or missing body reads as `{}`.",
      { schema: ref('TmsErrorRequest'), required: false },
    ),
    '/v1/tms/condor-complete/taskforces/{taskforce_uuid}': tmsAction(
      'reportCondorComplete',
      'Report a completed taskforce',
      "The taskforce's cluster has ended: it moves to `condor-complete`. Safe to replay.",
      { schema: ref('CondorCompleteRequest'), required: true },
    ),
    '/v1/tms/statuses/taskforces': {
      post: operation({
        id: 'reportTaskforceStatuses',
        tag: 'tms',
        summary: "Report taskforces' worker statuses and errors",
        description: `Replaces the \`compound_statuses\` and \`top_task_errors\` of each taskforce named; safe to replay. ${TMS_ROLE}`,
        security: USER,
        body: { schema: ref('StatusesRequest'), required: false },
        ok: { description: 'Every taskforce named was updated.', schema: ref('StatusesResponse') },
        more: { 207: { description: 'Some taskforces named do not exist: their results say `failed`, the others were updated.', schema: ref('StatusesResponse') } },
        errors: [400, 401, 403, 422],
      }),
    },
    '/v1/mqs/workflows/{workflow_id}/mq-profiles/public': {
      get: operation({
        id: 'getPublicMqProfiles',
        tag: 'queues',
        summary: "A workflow's public queues",
        description: "Profiles of the workflow's public queues, for its owner (or an admin, or the workflow's queue token).",
        security: QUEUE,
        parameters: ['WorkflowId'],
        ok: { description: 'The profiles.', schema: object({ mqprofiles: { type: 'array', items: ref('MQProfileObject') } }) },
        errors: [401, 403, 404],
      }),
    },
    '/v1/mqs/queues/{mqid}': {
      get: operation({ id: 'getQueueDepth', tag: 'queues', summary: "A queue's depth", description: `How many messages the queue holds. ${QUEUE_READ}`, security: QUEUE, parameters: ['Mqid'], ok: { description: 'The counts.', schema: ref('QueueDepth') }, errors: [401, 403, 404] }),
    },
    '/v1/mqs/queues/{mqid}/messages': {
      post: operation({
        id: 'publishMessages',
        tag: 'queues',
        summary: 'Publish messages',
        description:
          "Puts messages on the queue, in order. The workflow's owner publishes to its public queues, its queue token to all of them. The queue must be activated, and its workflow active (else 422). Not deduplicated: a repeated request publishes its messages again.",
        security: QUEUE,
        parameters: ['Mqid'],
        body: { schema: ref('PublishRequest'), required: true },
        ok: { description: 'How many messages were published.', schema: ref('PublishResponse') },
        errors: [400, 401, 403, 404, 422],
      }),
    },
    '/v1/mqs/queues/{mqid}/actions/consume': {
      post: operation({
        id: 'consumeMessages',
        tag: 'queues',
        summary: 'Take messages',
        description: `Leases up to \`max_messages\` messages, waiting up to \`wait\` seconds for the first; each is delivered again once its visibility timeout ends unless it is acked or nacked first. ${QUEUE_READ}`,
        security: QUEUE,
        parameters: ['Mqid'],
        body: { schema: ref('ConsumeRequest'), required: false },
        ok: { description: 'The messages taken.', schema: ref('ConsumeResponse') },
        errors: [400, 401, 403, 404],
      }),
    },
    '/v1/mqs/queues/{mqid}/actions/ack': {
      post: operation({
        id: 'ackMessages',
        tag: 'queues',
        summary: 'Ack messages',
        description: `Removes delivered messages from the queue for good. Safe to replay: an ack id already used counts for none. ${QUEUE_READ}`,
        security: QUEUE,
        parameters: ['Mqid'],
        body: { schema: ref('AckRequest'), required: true },
        ok: { description: 'How many were acked.', schema: ref('AckResponse') },
        errors: [400, 401, 403, 404],
      }),
    },
    '/v1/mqs/queues/{mqid}/actions/nack': {
      post: operation({
        id: 'nackMessages',
        tag: 'queues',
        summary: 'Give messages back',
        description: `Ends the leases of delivered messages so that they are delivered again, after \`delay\` seconds. Safe to replay: an ack id already given back counts for none. ${QUEUE_READ}`,
        security: QUEUE,
        parameters: ['Mqid'],
        body: { schema: ref('NackRequest'), required: true },
        ok: { description: 'How many were given back.', schema: ref('NackResponse') },
        errors: [400, 401, 403, 404],
      }),
    },
    '/v1/': {
      get: operation({ id: 'getRoot', tag: 'schema', summary: 'Nothing', description: "An empty object, as EWMS answers its root: a check that the API answers and takes the credential.", security: USER, ok: { description: 'An empty object.', schema: { type: 'object', additionalProperties: false } }, errors: [401] }),
    },
    '/v1/schema/openapi': {
      get: operation({ id: 'getOpenApi', tag: 'schema', summary: 'This document', description: 'This OpenAPI document; needs no credential.', security: PUBLIC, ok: { description: 'The document.', schema: { type: 'object' } }, errors: [] }),
    },
  });
  return entries;
}

