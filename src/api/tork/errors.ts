import { dialectErrorHandler } from '../error-handler.js';

/**
 * Tork answers every error as `{"message": "..."}`; a wrong content type is
 * its 400. 401 asks for a password (a browser, which Tork's users have, shows
 * a prompt on it).
 */
export const torkErrorHandler = dialectErrorHandler({
  dialect: 'tork',
  status: { unsupported_media_type: 400 },
  challenge: 'Basic realm="gantry", charset="UTF-8"',
  body: (error) => ({ message: error.message }),
});
