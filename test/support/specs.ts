import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OpenAPIBackend, type Document } from 'openapi-backend';

/**
 * The peers' published specs live beside the repository (in `../shared/specs`),
 * never inside it. In a clone without them, the checks that need them are skipped
 * with a notice instead of failing.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const SPECS_DIR = resolve(here, '../../../shared/specs');
export const specsAvailable = existsSync(SPECS_DIR);

if (!specsAvailable) {
  process.stderr.write(`notice: ${SPECS_DIR} not found; contract checks against the published specs are skipped\n`);
}

export function readSpec(relative: string): string {
  return readFileSync(join(SPECS_DIR, relative), 'utf8');
}

let torkAjv: Ajv | undefined;

/** Validates a value against a definition of Tork's swagger (e.g. `tork.Job`); returns the errors. */
export function torkSchemaErrors(definition: string, value: unknown): string[] {
  if (!torkAjv) {
    torkAjv = new Ajv({ strict: false, allErrors: true });
    const swagger = JSON.parse(readSpec('tork-swagger.json')) as Record<string, unknown>;
    torkAjv.addSchema({ $id: 'tork-swagger.json', definitions: swagger.definitions }, 'tork-swagger.json');
  }
  const validate = torkAjv.getSchema(`tork-swagger.json#/definitions/${definition}`);
  if (!validate) throw new Error(`no definition ${definition} in tork-swagger.json`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

let cockpitAjv: Ajv | undefined;

/** Validates a value against a definition of ClusterCockpit's swagger (e.g. `schema.Job`); returns the errors. */
export function cockpitSchemaErrors(definition: string, value: unknown): string[] {
  if (!cockpitAjv) {
    cockpitAjv = new Ajv({ strict: false, allErrors: true });
    const swagger = JSON.parse(readSpec('clustercockpit-swagger.json')) as Record<string, unknown>;
    cockpitAjv.addSchema({ $id: 'cc-swagger.json', definitions: swagger.definitions }, 'cc-swagger.json');
  }
  const validate = cockpitAjv.getSchema(`cc-swagger.json#/definitions/${definition}`);
  if (!validate) throw new Error(`no definition ${definition} in clustercockpit-swagger.json`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

type Spec = Record<string, any>;

const EWMS_SPEC = 'ewms-openapi.json';
/** EWMS's published OpenAPI 3.1 document is there: the checks of Gantry's EWMS answers against it can run. */
export const ewmsSpecAvailable = existsSync(join(SPECS_DIR, EWMS_SPEC));

if (!ewmsSpecAvailable) {
  process.stderr.write(`notice: ${join(SPECS_DIR, EWMS_SPEC)} not found; the checks of EWMS answers against its published spec are skipped\n`);
}

/** The three stored documents: the spec requires none of their fields (a projection answers part of one). */
const EWMS_DOCUMENTS = ['WorkflowObject', 'TaskDirectiveObject', 'TaskforceObject'] as const;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** EWMS's spec names no operations; openapi-backend finds an operation by its id, so each gets `METHOD /path`. */
const operationIdOf = (method: string, pathTemplate: string): string => `${method.toUpperCase()} ${pathTemplate}`;

/** Every object schema in `schema` (the schema itself included) with all its properties required. */
function requireAll(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) requireAll(item);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Spec;
  if (node.properties && typeof node.properties === 'object') node.required = Object.keys(node.properties);
  for (const value of Object.values(node)) requireAll(value);
}

async function ewmsValidatorOf(definition: Spec): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    definition: definition as Document,
    // Refuses a definition that is not valid OpenAPI, rather than validating against part of it.
    strict: true,
    // OpenAPI 3.1's schemas are JSON Schema 2020-12; openapi-backend compiles with Ajv's draft-07 unless told otherwise.
    customizeAjv: (_draft07, options) => new Ajv2020({ ...options, allErrors: true }),
  });
  await api.init();
  return api;
}

interface EwmsValidators {
  spec: Spec;
  /** The spec as published. */
  asPublished: OpenAPIBackend;
  /** The spec with every field of the stored documents required: for answers that carry whole documents. */
  whole: OpenAPIBackend;
}

let ewmsValidators: Promise<EwmsValidators> | undefined;

function loadEwmsValidators(): Promise<EwmsValidators> {
  ewmsValidators ??= (async () => {
    const spec = JSON.parse(readSpec(EWMS_SPEC)) as Spec;
    const named = structuredClone(spec);
    for (const [path, item] of Object.entries(named.paths as Record<string, Spec>)) {
      for (const method of HTTP_METHODS) if (item[method]) item[method].operationId = operationIdOf(method, path);
    }
    const whole = structuredClone(named);
    for (const name of EWMS_DOCUMENTS) requireAll(whole.components.schemas[name]);
    const [asPublished, wholeValidator] = await Promise.all([ewmsValidatorOf(structuredClone(named)), ewmsValidatorOf(whole)]);
    return { spec, asPublished, whole: wholeValidator };
  })();
  return ewmsValidators;
}

/** The routes of EWMS's spec and each status it describes an answer for, as `METHOD /path STATUS`. */
export async function ewmsDescribedAnswers(): Promise<string[]> {
  const { spec } = await loadEwmsValidators();
  return Object.entries(spec.paths as Record<string, Spec>).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).flatMap((method) => Object.keys(item[method].responses ?? {}).map((status) => `${operationIdOf(method, path)} ${status}`)),
  );
}

/**
 * Validates an answer of Gantry's EWMS routes with openapi-backend against the
 * response schema that EWMS's published spec gives for `method pathTemplate`
 * (`/v1/workflows/{workflow_id}`) and `status`; returns the errors, none when it
 * conforms. With `whole`, the stored documents in it must also carry every field
 * the spec lists (the spec requires none, since a projection answers part of one).
 * Throws when the spec describes no such answer: the validator would pass
 * anything there.
 */
export async function ewmsResponseErrors(method: string, pathTemplate: string, status: number, body: unknown, options: { whole?: boolean } = {}): Promise<string[]> {
  const { spec, asPublished, whole } = await loadEwmsValidators();
  const operation = (spec.paths as Record<string, Spec>)[pathTemplate]?.[method.toLowerCase()] as Spec | undefined;
  if (!operation) throw new Error(`EWMS's spec has no route ${method.toUpperCase()} ${pathTemplate}`);
  let response = operation.responses?.[String(status)] as Spec | undefined;
  if (typeof response?.$ref === 'string') response = spec.components.responses[(response.$ref as string).replace('#/components/responses/', '')];
  if (!response?.content?.['application/json']?.schema) throw new Error(`EWMS's spec describes no JSON answer ${status} of ${method.toUpperCase()} ${pathTemplate}`);
  const result = (options.whole ? whole : asPublished).validateResponse(body, operationIdOf(method, pathTemplate), status);
  return (result.errors ?? []).map((error) => {
    const extra = (error.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    return `${error.instancePath || '(the answer)'} ${error.message ?? error.keyword}${extra ? `: ${extra}` : ''}`;
  });
}

const SEEDS_DIR = resolve(here, '../../../shared/seeds');
export const seedsAvailable = existsSync(SEEDS_DIR);

/**
 * A script from a seed page, as printed there: from the line after the one that
 * starts with `heading` up to and including the first line that `last` matches.
 */
export function seedScript(page: string, heading: string, last: (line: string) => boolean): string {
  const lines = readFileSync(join(SEEDS_DIR, page), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  if (start < 0) throw new Error(`no "${heading}" in ${page}`);
  const end = lines.findIndex((line, index) => index > start && last(line));
  if (end < 0) throw new Error(`the script after "${heading}" in ${page} has no end`);
  return `${lines.slice(start + 1, end + 1).join('\n')}\n`;
}
