import type { z } from 'zod';
import type { BodyFormat } from './content-type.js';
import type { ParsedBody } from './parse-body.js';
import { PlainScalar } from './plain-scalar.js';
import type { FieldPath } from './positions.js';
import { problemsError, type Problem } from './problems.js';
import { KNOWN_KEYS_MARKER } from './schema-scalars.js';
import { closestName } from './suggest.js';

type Issue = z.core.$ZodIssue;

function describeValue(value: unknown, format: BodyFormat): string {
  const plain = value instanceof PlainScalar ? value.value : value;
  if (plain === null) return 'null';
  if (Array.isArray(plain)) return format === 'json' ? 'an array' : 'a list';
  if (typeof plain === 'string') return plain.length > 40 ? 'a string' : `the string ${JSON.stringify(plain)}`;
  if (typeof plain === 'number') return `the number ${value instanceof PlainScalar ? value.text : String(plain)}`;
  if (typeof plain === 'boolean') return String(plain);
  if (typeof plain === 'object') return format === 'json' ? 'an object' : 'a mapping';
  return typeof plain;
}

function expectation(expected: string, format: BodyFormat): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'int':
    case 'number': // every number of a submission is an integer
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return format === 'json' ? 'an array' : 'a list';
    case 'object':
    case 'record':
      return format === 'json' ? 'an object' : 'a mapping';
    default:
      return expected;
  }
}

function unknownFields(issue: Extract<Issue, { code: 'unrecognized_keys' }>): Problem[] {
  const known: unknown = issue.message.startsWith(KNOWN_KEYS_MARKER) ? JSON.parse(issue.message.slice(KNOWN_KEYS_MARKER.length)) : [];
  const names = Array.isArray(known) ? known.filter((name): name is string => typeof name === 'string') : [];
  return issue.keys.map((key) => {
    const hint = closestName(key, names);
    return {
      path: issue.path as FieldPath,
      message: `unknown field ${JSON.stringify(key)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`,
      pointAt: { path: [...(issue.path as FieldPath), key], part: 'key' as const },
    };
  });
}

function toProblems(issue: Issue, format: BodyFormat): Problem[] {
  const path = issue.path as FieldPath;
  const missing = !('input' in issue) || issue.input === undefined;
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownFields(issue);
    case 'invalid_type': {
      if (missing) return [{ path, message: 'required' }];
      const expected = expectation(issue.expected, format);
      if (path.length === 0) {
        return [{ path, message: `the body must be ${format === 'json' ? 'a JSON object' : 'a YAML mapping'}, got ${describeValue(issue.input, format)}` }];
      }
      return [{ path, message: `must be ${expected}, got ${describeValue(issue.input, format)}` }];
    }
    case 'invalid_value': {
      if (missing) return [{ path, message: 'required' }];
      const values = issue.values.map((value) => String(value)).join(', ');
      return [{ path, message: `must be one of ${values}, got ${describeValue(issue.input, format)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** Drops the keys zod leaves behind with `undefined` (fields given as null or ""). */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) if (child !== undefined) out[key] = withoutUndefined(child);
  return out;
}

/**
 * Checks the parsed body against a schema: types, required fields and unknown
 * fields. Returns the typed data or throws one `invalid_input` error listing the
 * problems with their lines.
 */
export function checkShape<T>(schema: z.ZodType<T>, parsed: ParsedBody, format: BodyFormat): T {
  const result = schema.safeParse(parsed.value, { reportInput: true });
  if (!result.success) {
    throw problemsError(result.error.issues.flatMap((issue) => toProblems(issue, format)), parsed.positions);
  }
  return withoutUndefined(result.data) as T;
}
