import { GantryError, invalidInput } from '../../core/errors.js';
import { UNPROCESSABLE } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body of an exec request. Zeroboot takes JSON only: another content
 * type is 415, text that is not JSON 400, JSON of the wrong shape 422.
 */
export function jsonBody(body: unknown, contentType: string | undefined): Record<string, unknown> {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    throw new GantryError('unsupported_media_type', 'Expected request with Content-Type: application/json');
  }
  let text: string;
  try {
    text = Buffer.isBuffer(body) ? utf8.decode(body) : '';
  } catch {
    throw invalidInput('Failed to parse the request body as JSON: it is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidInput(`Failed to parse the request body as JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GantryError('invalid_input', 'the request body must be a JSON object', UNPROCESSABLE);
  return parsed as Record<string, unknown>;
}

/** One execution's fields with the types Zeroboot's request type has (`where` names it inside a batch). */
export function execFields(value: unknown, where: string): { code?: unknown; language?: unknown; timeout_seconds?: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GantryError('invalid_input', `${where || 'the body'} must be an object with code`, UNPROCESSABLE);
  const fields = value as Record<string, unknown>;
  if (fields.code === undefined) throw new GantryError('invalid_input', `${where}code is required`, UNPROCESSABLE);
  if (typeof fields.code !== 'string') throw new GantryError('invalid_input', `${where}code must be a string`, UNPROCESSABLE);
  if (fields.language !== undefined && fields.language !== null && typeof fields.language !== 'string') {
    throw new GantryError('invalid_input', `${where}language must be a string`, UNPROCESSABLE);
  }
  const timeout = fields.timeout_seconds;
  if (timeout !== undefined && timeout !== null && typeof timeout !== 'number') throw new GantryError('invalid_input', `${where}timeout_seconds must be a number`, UNPROCESSABLE);
  return { code: fields.code, language: fields.language ?? undefined, timeout_seconds: timeout ?? undefined };
}
