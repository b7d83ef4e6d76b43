import { dialectErrorHandler, statusTable } from '../error-handler.js';

/** EWMS's statuses: its REST server answers a state that forbids an action with 422. */
export const EWMS_STATUS = statusTable({ conflict: 422 });

/** EWMS's error answer (its OpenAPI's ErrorResponse): `{"code": <status>, "error": "<reason>"}`. */
export const ewmsErrorHandler = dialectErrorHandler({
  dialect: 'ewms',
  status: EWMS_STATUS,
  body: (error, status) => ({ code: status, error: error.message }),
});
