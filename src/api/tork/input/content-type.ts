import { invalidInput } from '../../../core/errors.js';

/** How a body is written. */
export type BodyFormat = 'json' | 'yaml';

/** The two submission endpoints, which accept slightly different media types in Tork. */
export type SubmissionEndpoint = 'jobs' | 'scheduled-jobs';

const MEDIA_TYPES: Readonly<Record<SubmissionEndpoint, ReadonlyMap<string, BodyFormat>>> = {
  jobs: new Map([
    ['application/json', 'json'],
    ['text/yaml', 'yaml'],
    ['application/x-yaml', 'yaml'],
  ]),
  // Tork's POST /scheduled-jobs takes only application/json and text/yaml
  // (internal/coordinator/api/api.go, createScheduledJob). Gantry also takes
  // application/x-yaml there: a harmless superset, and one rule for both endpoints.
  'scheduled-jobs': new Map([
    ['application/json', 'json'],
    ['text/yaml', 'yaml'],
    ['application/x-yaml', 'yaml'],
  ]),
};

/** `charset=utf-8`, optionally quoted, in any letter case. */
const UTF8_PARAMETER = /^charset\s*=\s*"?utf-8"?$/i;

/**
 * The body format a `Content-Type` header announces. Tork compares the header
 * exactly; Gantry also accepts a `; charset=utf-8` parameter and any letter case
 * (media types are case-insensitive), which clients reasonably send. Anything else
 * gets Tork's own wording: `missing content type` / `unknown content type: <ct>`.
 * (Tork's scheduled-jobs route says `unknown content type: ` for a missing header;
 * Gantry says `missing content type` on both routes.)
 */
export function resolveContentType(header: string | undefined, endpoint: SubmissionEndpoint): BodyFormat {
  if (header === undefined || header.trim() === '') throw invalidInput('missing content type');
  const [mediaType = '', ...parameters] = header.split(';').map((part) => part.trim());
  const format = MEDIA_TYPES[endpoint].get(mediaType.toLowerCase());
  if (format === undefined || !parameters.every((parameter) => UTF8_PARAMETER.test(parameter))) {
    throw invalidInput(`unknown content type: ${header}`);
  }
  return format;
}
