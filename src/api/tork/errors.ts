import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGantryError, type ErrorCode } from '../../core/errors.js';
import { toGantryError } from '../errors.js';

/** Tork answers every error as `{"message": "..."}` with the status below. */
const TORK_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  unauthenticated: 401,
  forbidden: 403,
  payload_too_large: 413,
  unsupported_media_type: 400,
  timeout: 408,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export function torkErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
  const status = TORK_STATUS[gantryError.code];
  if (status >= 500 && !isGantryError(error)) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: gantryError.code, message: gantryError.message }, 'request rejected');
  // A browser (Tork's users have one) asks for a password on this header.
  if (gantryError.code === 'unauthenticated') void reply.header('www-authenticate', 'Basic realm="gantry", charset="UTF-8"');
  const retryAfter = gantryError.details?.retryAfterSeconds;
  if (gantryError.code === 'rate_limited' && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(status).send({ message: gantryError.message });
}
