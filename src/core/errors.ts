/**
 * The one error type of Gantry. Every failure a user can cause or see is a
 * GantryError with a code from a closed list; each dialect maps the code to its
 * own status and body (see `src/api/<dialect>/errors.ts`).
 */
export const ERROR_CODES = {
  invalid_input: { statusHint: 400 },
  not_found: { statusHint: 404 },
  conflict: { statusHint: 409 },
  unauthenticated: { statusHint: 401 },
  forbidden: { statusHint: 403 },
  payload_too_large: { statusHint: 413 },
  unsupported_media_type: { statusHint: 415 },
  timeout: { statusHint: 408 },
  /** Too many requests (a key over its rate, a login being guessed); `details.retryAfterSeconds` says when to try again. */
  rate_limited: { statusHint: 429 },
  unavailable: { statusHint: 503 },
  internal: { statusHint: 500 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GantryErrorOptions {
  /** Structured context safe to show users (field paths, line numbers). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class GantryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: GantryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GantryError';
    this.code = code;
    this.details = options.details;
  }

  get statusHint(): number {
    return ERROR_CODES[this.code].statusHint;
  }
}

export function isGantryError(error: unknown): error is GantryError {
  return error instanceof GantryError;
}

export const invalidInput = (message: string, details?: Record<string, unknown>): GantryError =>
  new GantryError('invalid_input', message, details ? { details } : {});

export const notFound = (message: string): GantryError => new GantryError('not_found', message);

export const conflict = (message: string): GantryError => new GantryError('conflict', message);
