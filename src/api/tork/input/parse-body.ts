import { invalidInput } from '../../../core/errors.js';
import type { BodyFormat } from './content-type.js';
import { parseJson } from './parse-json.js';
import { parseYaml, type ParsedBody } from './parse-yaml.js';
import { PlainScalar } from './plain-scalar.js';
import type { FieldPath } from './positions.js';
import { problemsError, type Problem } from './problems.js';

export type { ParsedBody } from './parse-yaml.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(body: string | Buffer): string {
  if (typeof body === 'string') return body.startsWith('\uFEFF') ? body.slice(1) : body;
  try {
    // The decoder drops a leading byte-order mark.
    return utf8.decode(body);
  } catch {
    throw invalidInput('the request body is not valid UTF-8');
  }
}

const NUL = 'contains a NUL character (\\u0000): no text field of a job may hold one';

/**
 * The first string or key holding U+0000. JSON (`\u0000`) and YAML (`"\0"`) can
 * both write one, and PostgreSQL cannot store it in text: it would fail the insert.
 */
function findNul(value: unknown, path: FieldPath): Problem | undefined {
  if (typeof value === 'string') return value.includes('\0') ? { path, message: NUL } : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNul(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object' || value instanceof PlainScalar) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\0')) return { path: [...path, key], message: `the key ${NUL}`, pointAt: { path: [...path, key], part: 'key' } };
    const found = findNul(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** Decodes and parses a submission body; every failure is an `invalid_input` GantryError. */
export function parseBody(body: string | Buffer, format: BodyFormat): ParsedBody {
  const text = decode(body);
  if (text.trim() === '') throw invalidInput('the request body is empty: send the job definition as YAML or JSON');
  const parsed = format === 'json' ? parseJson(text) : parseYaml(text);
  if (parsed.value === null) throw invalidInput('the request body holds no job definition');
  const nul = findNul(parsed.value, []);
  if (nul) throw problemsError([nul], parsed.positions);
  return parsed;
}
