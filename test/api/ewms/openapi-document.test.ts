import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as bodies from '../../../src/api/ewms/bodies.js';
import { ewmsOpenApi } from '../../../src/api/ewms/openapi.js';
import { request, startTestServer, type TestServer } from '../../support/server.js';

type Schema = Record<string, any>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const EWMS_SPEC = join(repoRoot, '..', 'shared', 'specs', 'ewms-openapi.json');
const ewmsSpecAvailable = existsSync(EWMS_SPEC);
if (!ewmsSpecAvailable) console.warn(`notice: ${EWMS_SPEC} not found; the comparison of the documents with EWMS's published spec is skipped`);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const DOCUMENTS = ['WorkflowObject', 'TaskDirectiveObject', 'TaskforceObject'] as const;

const document = ewmsOpenApi('0.0.0-test') as Schema;

/** `METHOD /path` of every operation in the document. */
function documentedRoutes(doc: Schema): string[] {
  return Object.entries(doc.paths as Record<string, Schema>)
    .flatMap(([path, item]) => METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

function resolveRef(doc: Schema, schema: Schema): Schema {
  if (typeof schema.$ref !== 'string') return schema;
  const target = (schema.$ref as string)
    .replace(/^#\//, '')
    .split('/')
    .reduce<Schema>((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  return resolveRef(doc, target);
}

/**
 * What a schema says of each field, as lines: its path (`.pilot_config.tag`, `[]`
 * for items, `.*` for any key), each type it may have and its enum. Names, types
 * and enums are what clients rely on; descriptions and bounds may differ.
 */
function shapeOf(schema: Schema, path = ''): string[] {
  const lines: string[] = [];
  for (const branch of (schema.anyOf ?? schema.oneOf ?? [schema]) as Schema[]) {
    lines.push(`${path || '.'}: ${[branch.type ?? 'any'].flat().join('|')}${branch.enum ? ` enum ${[...branch.enum].sort().join('|')}` : ''}`);
    for (const [name, property] of Object.entries((branch.properties ?? {}) as Record<string, Schema>)) lines.push(...shapeOf(property, `${path}.${name}`));
    if (branch.items) lines.push(...shapeOf(branch.items, `${path}[]`));
    if (typeof branch.additionalProperties === 'object') lines.push(...shapeOf(branch.additionalProperties, `${path}.*`));
  }
  return lines.sort();
}

describe('the EWMS OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    expect(Validator.supportedVersions.has('3.1')).toBe(true);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
    // Throws on a $ref that points nowhere.
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('is built once per version, with the version in info', () => {
    expect(ewmsOpenApi('0.0.0-test')).toBe(document);
    expect(document.info).toMatchObject({ title: 'Gantry — EWMS workflow API', version: '0.0.0-test' });
    expect((ewmsOpenApi('1.2.3') as Schema).info.version).toBe('1.2.3');
  });

  it('describes an error answer for every documented error status', () => {
    for (const [route, operation] of Object.entries(document.paths as Record<string, Schema>).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => [`${m} ${path}`, item[m]] as const))) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, Schema>)) {
        if (Number(status) < 400) continue;
        const content = resolveRef(document, response).content['application/json'].schema;
        expect(content, `${route} ${status}`).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
      }
    }
  });

  /** The request bodies as bodies.ts reads them: the same fields, required ones and closedness. */
  const BODIES: Array<[route: string, schema: z.ZodType]> = [
    ['post /v1/workflows', bodies.workflowBody],
    ['post /v1/task-directives/{task_id}/actions/add-workers', bodies.addWorkersBody],
    ['post /v1/query/workflows', bodies.findBody],
    ['post /v1/query/task-directives', bodies.findBody],
    ['post /v1/query/taskforces', bodies.findBody],
    ['post /v1/taskforces/{taskforce_uuid}/pilot-status', bodies.pilotStatusBody],
    ['post /v1/tms/condor-submit/taskforces/{taskforce_uuid}', bodies.condorSubmitBody],
    ['post /v1/tms/condor-submit/taskforces/{taskforce_uuid}/failed', bodies.errorBody],
    ['post /v1/tms/condor-rm/taskforces/{taskforce_uuid}', bodies.errorBody.pick({})],
    ['post /v1/tms/condor-rm/taskforces/{taskforce_uuid}/failed', bodies.errorBody],
    ['post /v1/tms/condor-complete/taskforces/{taskforce_uuid}', bodies.condorCompleteBody],
    ['post /v1/tms/statuses/taskforces', bodies.statusesBody],
    ['post /v1/mqs/queues/{mqid}/messages', bodies.publishBody],
    ['post /v1/mqs/queues/{mqid}/actions/consume', bodies.consumeBody],
    ['post /v1/mqs/queues/{mqid}/actions/ack', bodies.ackBody],
    ['post /v1/mqs/queues/{mqid}/actions/nack', bodies.nackBody],
  ];

  it.each(BODIES)('documents the body of %s as the server reads it', (route, schema) => {
    const [method, path] = route.split(' ') as [string, string];
    const documented = resolveRef(document, document.paths[path][method].requestBody.content['application/json'].schema);
    const read = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
    expect(Object.keys(documented.properties ?? {}).sort()).toEqual(Object.keys(read.properties ?? {}).sort());
    expect([...(documented.required ?? [])].sort()).toEqual([...(read.required ?? [])].sort());
    expect(documented.additionalProperties === false).toBe(read.additionalProperties === false);
  });

  describe.each(DOCUMENTS)("%s, as EWMS's published spec has it", (name) => {
    const ewms = (): Schema => (JSON.parse(readFileSync(EWMS_SPEC, 'utf8')) as Schema).components.schemas[name];
    const ours = (): Schema => document.components.schemas[name];

    it.skipIf(!ewmsSpecAvailable)('has the same property names', () => {
      expect(Object.keys(ours().properties).sort()).toEqual(Object.keys(ewms().properties).sort());
    });

    it.skipIf(!ewmsSpecAvailable)('has the same nested fields, types and enums', () => {
      expect(shapeOf(ours())).toEqual(shapeOf(ewms()));
    });
  });
});

describe('the EWMS OpenAPI document and the server', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('has exactly the routes the EWMS plugin registers', () => {
    const registered = server.server.routes
      .filter((route) => route.auth.dialect === 'ewms' && route.url.startsWith('/v1/'))
      .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    expect(registered.length).toBeGreaterThan(0);
    expect(documentedRoutes(document)).toEqual(registered);
  });

  it('is what GET /v1/schema/openapi answers, without a credential', async () => {
    const answer = await request(`${server.url}/v1/schema/openapi`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(ewmsOpenApi(server.server.core.version));
  });
});
