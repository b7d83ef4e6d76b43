import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGantryError, type ErrorCode } from '../../core/errors.js';
import { toGantryError } from '../errors.js';

/** EWMS's statuses (its REST server answers a state that forbids an action with 422). */
export const EWMS_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 422,
  unauthenticated: 401,
  forbidden: 403,
  payload_too_large: 413,
  unsupported_media_type: 415,
  timeout: 408,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** EWMS's error answer (its OpenAPI's ErrorResponse): `{"code": <status>, "error": "<reason>"}`. */
export function ewmsErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
  const status = EWMS_STATUS[gantryError.code];
  if (status >= 500 && !isGantryError(error)) request.log.error({ err: error, dialect: 'ewms' }, 'request failed');
  else request.log.info({ code: gantryError.code, message: gantryError.message, dialect: 'ewms' }, 'request rejected');
  const retryAfter = gantryError.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(status).send({ code: status, error: gantryError.message });
}
