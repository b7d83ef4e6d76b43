import { GantryError, isGantryError } from '../core/errors.js';

/**
 * Turns anything thrown while serving a request into a GantryError: ours pass
 * through, Fastify's own client errors keep their meaning, everything else is
 * `internal` with a message that reveals nothing.
 */
export function toGantryError(error: unknown, bodyLimitBytes?: number): GantryError {
  if (isGantryError(error)) return error;
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  const status = fastifyError.statusCode;
  if (status === 413 || fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // Tork's words first (clients may match them), then the limit that was passed.
    const limit = bodyLimitBytes === undefined ? '' : `: the body is larger than the limit of ${describeBytes(bodyLimitBytes)}`;
    return new GantryError('payload_too_large', `Request Entity Too Large${limit}`);
  }
  if (status === 415) return new GantryError('unsupported_media_type', fastifyError.message ?? 'unsupported media type');
  if (status === 404) return new GantryError('not_found', 'Not Found');
  if (status !== undefined && status >= 400 && status < 500) {
    return new GantryError('invalid_input', fastifyError.message ?? 'bad request');
  }
  return new GantryError('internal', 'internal server error', { cause: error });
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
