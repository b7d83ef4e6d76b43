import { GantryError, isGantryError } from '../core/errors.js';

/**
 * Turns anything thrown while serving a request into a GantryError: ours pass
 * through, Fastify's own client errors keep their meaning, everything else is
 * `internal` with a message that reveals nothing.
 */
export function toGantryError(error: unknown): GantryError {
  if (isGantryError(error)) return error;
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  const status = fastifyError.statusCode;
  if (status === 413 || fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GantryError('payload_too_large', 'Request Entity Too Large');
  }
  if (status === 415) return new GantryError('unsupported_media_type', fastifyError.message ?? 'unsupported media type');
  if (status === 404) return new GantryError('not_found', 'Not Found');
  if (status !== undefined && status >= 400 && status < 500) {
    return new GantryError('invalid_input', fastifyError.message ?? 'bad request');
  }
  return new GantryError('internal', 'internal server error', { cause: error });
}
