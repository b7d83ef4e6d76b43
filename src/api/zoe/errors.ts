import type { GantryError } from '../../core/errors.js';
import { credentialFailureOf } from '../../core/identity.js';
import { MISSING_CREDENTIAL } from '../auth/authenticate.js';
import { dialectErrorHandler } from '../error-handler.js';

/*
 * Zoe itself answers 401 to a user who may not do something (`You are not
 * authorized to …`); Gantry answers 403, as in its other APIs: Zoe's client
 * treats every refusal alike and shows the reason. Quotas are 409, a master
 * that is down 503: the defaults.
 */


/** Longest reason phrase sent; the JSON body always has the whole message. */
const MAX_REASON_LENGTH = 400;

/**
 * The message Zoe shows for an error. For a wrong password it is the seed
 * page's words for any missing or wrong one, which Zoe's clients may match on.
 */
export function zoeMessage(error: GantryError): string {
  if (credentialFailureOf(error) === 'wrong-password') return MISSING_CREDENTIAL;
  return error.message;
}

/**
 * The HTTP reason phrase of an error. Zoe's Tornado handlers put the message
 * there (`set_status(code, message)`), and its official client reads only
 * `response.reason`; a failed authentication reads `Unauthorized access: 401: <message>`.
 * Only printable ASCII may go on the status line: anything else becomes `?`.
 */
export function zoeReason(error: GantryError, status: number): string {
  const message = zoeMessage(error);
  const reason = error.code === 'unauthenticated' ? `Unauthorized access: ${status}: ${message}` : message;
  const safe = reason.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > MAX_REASON_LENGTH ? `${safe.slice(0, MAX_REASON_LENGTH - 3)}...` : safe;
}

/**
 * Zoe's error answer: the status, the message in the reason phrase (what Zoe's
 * client reads) and in a JSON body `{"message": ...}` (what the seed page
 * documents). 401 asks for Basic credentials, 429 says when to try again.
 */
export const zoeErrorHandler = dialectErrorHandler({
  dialect: 'zoe',
  challenge: 'Basic realm="gantry", charset="UTF-8"',
  // Fastify writes the head with the status code only, so Node keeps a reason phrase set here.
  decorate: (reply, error, status) => {
    reply.raw.statusMessage = zoeReason(error, status);
  },
  body: (error) => ({ message: zoeMessage(error) }),
});
