import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGantryError, type ErrorCode, type GantryError } from '../core/errors.js';
import { toGantryError } from './errors.js';

/** The status of each error code where a dialect says nothing else. */
const DEFAULT_STATUS: Record<ErrorCode, number> = {
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

/** How one dialect answers errors: its statuses where they differ, and its body. */
export interface DialectErrors {
  dialect: string;
  /** Statuses that differ from the defaults. */
  status?: Partial<Record<ErrorCode, number>>;
  /** A status for one error in particular (e.g. Zeroboot's 422 for a body of the wrong shape). */
  statusOf?: (error: GantryError) => number | undefined;
  /** `WWW-Authenticate` on 401. */
  challenge?: string;
  body: (error: GantryError, status: number) => unknown;
  /** Anything else the dialect sets on an error answer (Zoe's reason phrase). */
  decorate?: (reply: FastifyReply, error: GantryError, status: number) => void;
}

/** A dialect's status table, the defaults with its own differences. */
export function statusTable(differences: Partial<Record<ErrorCode, number>> = {}): Record<ErrorCode, number> {
  return { ...DEFAULT_STATUS, ...differences };
}

/**
 * The one error handler of every dialect: turns what was thrown into a
 * GantryError, logs it (a stack only for the unexpected), says when to retry
 * (429, 503) and sends the dialect's own body.
 */
export function dialectErrorHandler(errors: DialectErrors): (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => void {
  const table = statusTable(errors.status);
  return (error, request, reply) => {
    const gantryError = toGantryError(error, request.routeOptions.bodyLimit);
    const status = errors.statusOf?.(gantryError) ?? table[gantryError.code];
    if (status >= 500 && !isGantryError(error)) request.log.error({ err: error, dialect: errors.dialect }, 'request failed');
    else request.log.info({ code: gantryError.code, message: gantryError.message, dialect: errors.dialect }, 'request rejected');
    if (errors.challenge && gantryError.code === 'unauthenticated') void reply.header('www-authenticate', errors.challenge);
    const retryAfter = gantryError.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    errors.decorate?.(reply, gantryError, status);
    void reply.status(status).send(errors.body(gantryError, status));
  };
}
