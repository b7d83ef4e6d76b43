import type { z } from 'zod';
import { invalidInput } from '../../../core/errors.js';
import { zappSchema, type ZApp } from './zapp-schema.js';

/** The format version Gantry reads, as Zoe 2018.12 does. */
export const ZAPP_FORMAT_VERSION = 3;

/** What Zoe puts before every reason a description is refused for. */
export const INVALID_ZAPP = 'Invalid application description';

/**
 * Checks a ZApp completely: the schema, then Zoe's own checks (the version,
 * a monitor service) and the ones its users run into at start instead
 * (essential_count above total_count, memory.min above memory.max, service
 * names used twice). The message names the field: `services[0].total_count: …`.
 */
export function validateZApp(value: unknown): ZApp {
  const parsed = zappSchema.safeParse(value);
  if (!parsed.success) throw refusal(describeIssue(parsed.error.issues[0]!, value));
  const zapp = parsed.data;
  if (zapp.version !== ZAPP_FORMAT_VERSION) {
    throw refusal(`version: Application description version mismatch (expected: ${ZAPP_FORMAT_VERSION}, found: ${zapp.version})`);
  }
  if (!zapp.services.some((service) => service.monitor)) throw refusal('services: at least one process should have the monitor property set to true');
  const names = new Set<string>();
  zapp.services.forEach((service, index) => {
    const at = `services[${index}]`;
    if (names.has(service.name)) throw refusal(`${at}.name: another service is already named ${service.name}`);
    names.add(service.name);
    if (service.essential_count > service.total_count) {
      throw refusal(`${at}.essential_count: ${service.essential_count} essential instances of ${service.total_count} in all (essential_count may not exceed total_count)`);
    }
    const { memory, cores } = service.resources;
    if (memory.min !== null && memory.max !== null && memory.min > memory.max) throw refusal(`${at}.resources.memory: min ${memory.min} is above max ${memory.max}`);
    if (cores.min !== null && cores.max !== null && cores.min > cores.max) throw refusal(`${at}.resources.cores: min ${cores.min} is above max ${cores.max}`);
  });
  return zapp;
}

function refusal(detail: string) {
  return invalidInput(`${INVALID_ZAPP}: ${detail}`);
}

/** One zod issue as `path: what is wrong`, with the key named for unknown and missing keys. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const path = pathText(issue.path);
  const where = path === '' ? '' : `${path}: `;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => (path === '' ? key : `${path}.${key}`));
    return `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  if (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined) return `${path} is required`;
  return `${where}${issue.message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
