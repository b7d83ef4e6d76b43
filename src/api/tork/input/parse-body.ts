import { invalidInput } from '../../../core/errors.js';
import type { BodyFormat } from './content-type.js';
import { parseJson } from './parse-json.js';
import { parseYaml, type ParsedBody } from './parse-yaml.js';

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

/** Decodes and parses a submission body; every failure is an `invalid_input` GantryError. */
export function parseBody(body: string | Buffer, format: BodyFormat): ParsedBody {
  const text = decode(body);
  if (text.trim() === '') throw invalidInput('the request body is empty: send the job definition as YAML or JSON');
  const parsed = format === 'json' ? parseJson(text) : parseYaml(text);
  if (parsed.value === null) throw invalidInput('the request body holds no job definition');
  return parsed;
}
