import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

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
