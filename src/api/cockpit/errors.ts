import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGantryError, type ErrorCode } from '../../core/errors.js';
import { toGantryError } from '../errors.js';

/** ClusterCockpit's statuses; its duplicate job start and bad state changes are 422. */
export const COCKPIT_STATUS: Record<ErrorCode, number> = {
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

/**
 * ClusterCockpit's error answer (its swagger's api.ErrorResponse):
 * `{"status": "<status text>", "error": "<message>"}`, e.g. 401
 * `{"status":"Unauthorized","error":"…"}`.
 */
export function cockpitErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
  const status = COCKPIT_STATUS[gantryError.code];
  if (status >= 500 && !isGantryError(error)) request.log.error({ err: error, dialect: 'cockpit' }, 'request failed');
  else request.log.info({ code: gantryError.code, message: gantryError.message, dialect: 'cockpit' }, 'request rejected');
  const retryAfter = gantryError.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(status).send({ status: STATUS_CODES[status] ?? 'Error', error: gantryError.message });
}
