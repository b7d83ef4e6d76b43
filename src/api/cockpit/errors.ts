import { STATUS_CODES } from 'node:http';
import { dialectErrorHandler, statusTable } from '../error-handler.js';

/** ClusterCockpit's statuses: its duplicate job start and bad state changes are 422. */
export const COCKPIT_STATUS = statusTable({ conflict: 422 });

/**
 * ClusterCockpit's error answer (its swagger's api.ErrorResponse):
 * `{"status": "<status text>", "error": "<message>"}`, e.g. 401
 * `{"status":"Unauthorized","error":"…"}`.
 */
export const cockpitErrorHandler = dialectErrorHandler({
  dialect: 'cockpit',
  status: COCKPIT_STATUS,
  body: (error, status) => ({ status: STATUS_CODES[status] ?? 'Error', error: error.message }),
});
