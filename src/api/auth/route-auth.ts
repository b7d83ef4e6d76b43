import type { Principal, Role } from '../../core/identity.js';

/** The dialects, as route policies and anonymous mappings name them. */
export type DialectName = 'tork' | 'zoe' | 'zeroboot' | 'cockpit' | 'ewms';

/**
 * Who may call a route. Every route declares one (a route without is refused
 * when it is registered), and the table of routes and their policies is what
 * the access tests are generated from.
 *
 * - `public`: anyone, no credential looked at.
 * - `principal`: a valid credential of a user (or the dialect's configured
 *   anonymous user); with `roles`, one of them; with `adminAddresses`, only from
 *   the addresses in `auth.apiAllowedIps` (ClusterCockpit's admin routes).
 * - `worker`: a worker token (the worker protocol's routes).
 * - `principal` with `queueTokens` (the workflows' queue routes): also a
 *   workflow's queue token, which reaches that workflow's queues only.
 * - `principal` with `openWithoutKeys` (Zeroboot's exec routes): as Zeroboot,
 *   a request without a credential is let through while its keys file holds no
 *   keys, but only while the server listens on loopback alone.
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'principal'; roles?: readonly Role[]; adminAddresses?: boolean; openWithoutKeys?: boolean; queueTokens?: boolean }
  | { kind: 'worker' };

export interface RouteAuth {
  dialect: DialectName;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Who is asking; set by the authentication hook on every route that is not public. */
    principal?: Principal;
  }
}

/** Route options of a public route. */
export function publicRoute(dialect: DialectName): { config: { auth: RouteAuth } } {
  return { config: { auth: { dialect, access: { kind: 'public' } } } };
}

/** Route options of a route for any authenticated user, or for one of `roles`. */
export function userRoute(dialect: DialectName, roles?: readonly Role[]): { config: { auth: RouteAuth } } {
  return { config: { auth: { dialect, access: roles ? { kind: 'principal', roles } : { kind: 'principal' } } } };
}

/** Route options of Zeroboot's exec routes: any credential, or none while no keys file has keys and Gantry listens on loopback. */
export function execRoute(dialect: DialectName): { config: { auth: RouteAuth } } {
  return { config: { auth: { dialect, access: { kind: 'principal', openWithoutKeys: true } } } };
}

/** Route options of a route for users and for the queue tokens of workflows (their pilots). */
export function queueRoute(dialect: DialectName): { config: { auth: RouteAuth } } {
  return { config: { auth: { dialect, access: { kind: 'principal', queueTokens: true } } } };
}

/** Route options of an admin route (role `admin`, or one of `roles`), held to `auth.apiAllowedIps`. */
export function adminRoute(dialect: DialectName, roles: readonly Role[] = ['admin']): { config: { auth: RouteAuth } } {
  return { config: { auth: { dialect, access: { kind: 'principal', roles, adminAddresses: true } } } };
}

/** The principal of a request on a non-public route (the hook has checked it). */
export function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw new Error('no principal on a route that requires one: is the route public by mistake?');
  return request.principal;
}
