import { invalidInput } from '../../core/errors.js';

/** The fields of an OAuth2 token request that Gantry reads. */
export interface TokenRequest {
  grant_type?: string;
  username?: string;
  password?: string;
  refresh_token?: string;
}

const FIELDS = ['grant_type', 'username', 'password', 'refresh_token'] as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body of `POST /oauth/token`. Zoe's page sends JSON; OAuth2 clients
 * send `application/x-www-form-urlencoded` (RFC 6749 §4.3); and `curl -d '{…}'`
 * without `-H` labels JSON as a form. So a body that starts with `{`, or is
 * labelled JSON, is JSON (Zoe decoded every body as JSON); anything else is a form.
 * Failures are `invalid_input`: Zoe's `Error decoding JSON data` for bad JSON.
 */
export function parseTokenRequest(body: Buffer | string | undefined, contentType: string | undefined): TokenRequest {
  let text: string;
  try {
    text = typeof body === 'string' ? body : body === undefined ? '' : utf8.decode(body);
  } catch {
    throw invalidInput('the request body is not valid UTF-8');
  }
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const fields = trimmed.startsWith('{') || mediaType === 'application/json' ? jsonFields(trimmed) : formFields(trimmed);
  const out: TokenRequest = {};
  for (const name of FIELDS) {
    const value = fields.get(name);
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidInput(`${name} must be a string`);
    out[name] = value;
  }
  return out;
}

function jsonFields(text: string): Map<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidInput('Error decoding JSON data');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidInput('the request body must be a JSON object');
  return new Map(Object.entries(parsed));
}

function formFields(text: string): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [name, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.2: a parameter must not be sent more than once.
    if (fields.has(name)) throw invalidInput(`${name} is given more than once`);
    fields.set(name, value);
  }
  return fields;
}
