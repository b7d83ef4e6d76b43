import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGantryError, type ErrorCode, type GantryError } from '../../core/errors.js';
import { MISSING_CREDENTIAL } from '../auth/authenticate.js';
import { toGantryError } from '../errors.js';

/** Zeroboot's statuses. A body of the wrong shape is 422, as Zeroboot's JSON extractor answers it. */
const ZEROBOOT_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  unauthenticated: 401,
  forbidden: 403,
  payload_too_large: 413,
  unsupported_media_type: 415,
  timeout: 408,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Marks an `invalid_input` as a body of the wrong shape (422) rather than a wrong value (400). */
export const UNPROCESSABLE = { details: { unprocessable: true } } as const;

/** Zeroboot's words where its clients may look for them. */
function zerobootMessage(error: GantryError): string {
  if (error.code === 'unauthenticated' && error.message === MISSING_CREDENTIAL) return 'Missing Authorization header';
  // A Bearer value that is no key, token or JWT Gantry knows: Zeroboot calls every such value a wrong key.
  if (error.code === 'unauthenticated' && error.message === 'unknown access token') return 'Invalid API key';
  return error.message;
}

/** Zeroboot's error answer: `{"error": "..."}`; 429 and 503 say when to try again. */
export function zerobootErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
  const status = gantryError.code === 'invalid_input' && gantryError.details?.unprocessable === true ? 422 : ZEROBOOT_STATUS[gantryError.code];
  if (status >= 500 && !isGantryError(error)) request.log.error({ err: error, dialect: 'zeroboot' }, 'request failed');
  else request.log.info({ code: gantryError.code, message: gantryError.message, dialect: 'zeroboot' }, 'request rejected');
  const retryAfter = gantryError.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  if (gantryError.code === 'unauthenticated') void reply.header('www-authenticate', 'Bearer');
  void reply.status(status).send({ error: zerobootMessage(gantryError) });
}
