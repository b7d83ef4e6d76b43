import { invalidInput } from '../../core/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A Zoe request body as a JSON value. Zoe's clients send JSON, labelled or not;
 * its page sends files with `curl --data-urlencode @file`, which is the file's
 * text URL-encoded with no field name (or `name=…` with `--data-urlencode
 * name@file`); a form field `application` carries the ZApp. Anything that is
 * not JSON then is Zoe's `Error decoding JSON data`.
 */
export function zoeJsonBody(body: Buffer | string | undefined, contentType: string | undefined): unknown {
  let text: string;
  try {
    text = typeof body === 'string' ? body : body === undefined ? '' : utf8.decode(body);
  } catch {
    throw invalidInput('Error decoding JSON data: the body is not valid UTF-8');
  }
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded' && !text.trimStart().startsWith('{')) text = formJson(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidInput(`Error decoding JSON data: ${(error as Error).message}`);
  }
}

/** The JSON a form body carries: itself URL-decoded, or its `application` field, or its only field. */
function formJson(text: string): string {
  if (!text.includes('=')) return decodeForm(text);
  const fields = new URLSearchParams(text);
  const application = fields.get('application');
  if (application !== null) return `{"application": ${application}}`;
  const values = [...fields.values()];
  return values.length === 1 ? values[0]! : decodeForm(text);
}

function decodeForm(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw invalidInput('Error decoding JSON data: the form body is not valid URL encoding');
  }
}
