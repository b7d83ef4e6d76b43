import { BODY_SCHEMAS } from './openapi-bodies.js';
import { DOCUMENT_SCHEMAS, ref, type Schema } from './openapi-documents.js';
import { ewmsPaths, json } from './openapi-paths.js';

/**
 * Gantry's OpenAPI 3.1 document of the routes its EWMS plugin serves (served at
 * GET /v1/schema/openapi, as EWMS serves its own). The documents keep EWMS's
 * shapes; the queue routes, the pilots' reports and the credentials are
 * Gantry's. test/api/ewms/openapi-document.test.ts holds the paths to the
 * registered routes and the documents to EWMS's published spec.
 */

const pathParameter = (name: string, description: string): Schema => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

const PARAMETERS: Record<string, Schema> = {
  WorkflowId: pathParameter('workflow_id', 'A workflow id (`WF-…`).'),
  TaskId: pathParameter('task_id', 'A task directive id (`TK-…`).'),
  TaskforceUuid: pathParameter('taskforce_uuid', 'A taskforce id (`TF-…`).'),
  Mqid: pathParameter('mqid', 'A queue id (`MQ-…`); on the routes that read a queue, `<mqid>.dead` names its dead-letter queue.'),
  Schedd: { name: 'schedd', in: 'query', required: true, description: 'The schedd the task management service polls for (its taskforces name it).', schema: { type: 'string', minLength: 1 } },
  Collector: { name: 'collector', in: 'query', required: false, deprecated: true, description: 'No longer used: accepted and ignored.', schema: { type: 'string' } },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: "A key of the client's choosing for this request: the same user sending the same key again within `ewms.replaySeconds` gets the first answer, and nothing more is made.",
    schema: { type: 'string', minLength: 1 },
  },
};

const errorResponse = (description: string): Schema => ({ description, content: json(ref('ErrorResponse')) });

const RESPONSES: Record<string, Schema> = {
  BadRequest: errorResponse('The request is malformed: a body that is not JSON or not of the schema (unknown fields are refused too), or a missing or wrong argument. `error` names the field.'),
  Unauthorized: errorResponse('No credential, or one that is not valid.'),
  Forbidden: errorResponse("The credential may not do this: a role it lacks, a workflow it does not own, or a queue token or worker token off the routes it serves."),
  NotFound: errorResponse('No such object, or none that the caller may see.'),
  UnprocessableEntity: errorResponse('The object is in a state that forbids the action (a deactivated workflow, a queue not yet activated), or it changed meanwhile: read it again before retrying.'),
};

const SECURITY_SCHEMES: Record<string, Schema> = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description:
      "A user's credential as `Authorization: Bearer <token>`: a JWT signed with one of the keys Gantry trusts, an access token Gantry issued, or an API key. Requests with an API key are rate limited (429 past the limit, with `Retry-After`).",
  },
  basicAuth: { type: 'http', scheme: 'basic', description: "A user's name and password." },
  queueToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      "A workflow's queue token (`gmq.…`, the `auth_token` of its queues' profiles when the broker is Gantry's own), as `Authorization: Bearer <token>`. It serves only the queue routes and pilot-status, for that workflow alone; the workflow's pilots are given it.",
  },
};

const TAGS = [
  { name: 'workflows', description: 'Workflows: made with their task directives, taskforces and queues, read, queried and ended.' },
  { name: 'task-directives', description: 'What runs on each event, and where.' },
  { name: 'taskforces', description: 'The workers of one task directive at one cluster location.' },
  { name: 'tms', description: 'For a task management service outside Gantry that starts and stops taskforces on HTCondor.' },
  { name: 'queues', description: "The workflows' message queues: their profiles, and publishing, consuming, acking and nacking through Gantry." },
  { name: 'schema', description: 'This document.' },
];

function build(version: string): Record<string, unknown> {
  return deepFreeze({
    openapi: '3.1.0',
    info: {
      title: 'Gantry — EWMS workflow API',
      version,
      description:
        "The routes of EWMS's workflow management service that Gantry serves, with EWMS's documents, and Gantry's own routes for the workflows' message queues and their pilots' reports. Every error answers `{code, error}`. The POSTs are safe to replay unless their description says otherwise.",
    },
    tags: TAGS,
    paths: ewmsPaths(),
    components: { schemas: { ...DOCUMENT_SCHEMAS, ...BODY_SCHEMAS }, parameters: PARAMETERS, responses: RESPONSES, securitySchemes: SECURITY_SCHEMES },
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const built = new Map<string, Record<string, unknown>>();

/** The document for this server's version; built once, frozen, and shared by every request. */
export function ewmsOpenApi(version: string): Record<string, unknown> {
  let document = built.get(version);
  if (!document) {
    document = build(version);
    built.set(version, document);
  }
  return document;
}
