import { dialectErrorHandler, statusTable } from '../error-handler.js';

/** EWMS's statuses: its REST server answers a state that forbids an action with 422. */
export const EWMS_STATUS = statusTable({ conflict: 422 });

/** EWMS's error answer (its OpenAPI's ErrorResponse): `{"code": <status>, "error": "<reason>"}`. */
export const ewmsErrorHandler = dialectErrorHandler({
  dialect: 'ewms',
  status: EWMS_STATUS,
  body: (error, status) => ({ code: status, error: error.message }),
});

/** Paths of EWMS's routes: a request for one Gantry has not is answered in EWMS's error format too. */
const EWMS_PREFIXES = ['/v1/workflows', '/v1/query/', '/v1/task-directives', '/v1/taskforces', '/v1/tms/', '/v1/mqs/', '/v1/schema/'];

export function isEwmsPath(path: string): boolean {
  return path === '/v1/' || path === '/v1' || EWMS_PREFIXES.some((prefix) => path.startsWith(prefix));
}
