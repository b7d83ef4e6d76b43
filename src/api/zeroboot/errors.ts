import type { GantryError } from '../../core/errors.js';
import { credentialFailureOf } from '../../core/identity.js';
import { dialectErrorHandler } from '../error-handler.js';

/** Marks an `invalid_input` as a body of the wrong shape (422, as Zeroboot's JSON extractor answers it) rather than a wrong value (400). */
export const UNPROCESSABLE = { details: { unprocessable: true } } as const;

/** Zeroboot's words where its clients may look for them. */
function zerobootMessage(error: GantryError): string {
  const failure = credentialFailureOf(error);
  if (failure === 'missing') return 'Missing Authorization header';
  // A Bearer value that is no key, token or JWT Gantry knows: Zeroboot calls every such value a wrong key.
  if (failure === 'unknown-bearer') return 'Invalid API key';
  return error.message;
}

/** Zeroboot's error answer: `{"error": "..."}`; 429 and 503 say when to try again. */
export const zerobootErrorHandler = dialectErrorHandler({
  dialect: 'zeroboot',
  statusOf: (error) => (error.code === 'invalid_input' && error.details?.unprocessable === true ? 422 : undefined),
  challenge: 'Bearer',
  body: (error) => ({ error: zerobootMessage(error) }),
});
