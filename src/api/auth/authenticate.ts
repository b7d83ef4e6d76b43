import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { GantryError } from '../../core/errors.js';
import { credentialRefused, type Principal } from '../../core/identity.js';
import type { IdentityService } from '../../services/identity/identity-service.js';
import { presentedCredential, type PresentedCredential } from './credentials.js';
import type { DialectName, RouteAuth } from './route-auth.js';

export interface AuthSettings {
  /** Dialect → username that requests without credentials act as. */
  anonymous: Partial<Record<DialectName, string>>;
  /** Addresses admin routes accept; empty or `*`: any. */
  apiAllowedIps: readonly string[];
  /** The server listens on loopback only (exec routes may then go without keys). */
  loopbackOnly: boolean;
  /** The workflow a queue token names, or undefined when it is not a valid one. */
  queueTokenWorkflow: (token: string) => string | undefined;
  /** Whether a bearer credential has the form of a queue token (and so is looked at only as one). */
  isQueueToken: (token: string) => boolean;
}

/** Who a request without a credential is on an open exec route. */
const OPEN_EXEC: Principal = { userId: null, username: 'anonymous', roles: ['api'], projects: [], via: 'anonymous' };

/** A registered route and its policy: the table the access tests are generated from. */
export interface RouteEntry {
  method: string;
  url: string;
  auth: RouteAuth;
}

/** Message of a request that brings no credential where one is needed. */
export const MISSING_CREDENTIAL = 'missing or wrong authentication information';

/**
 * The one authentication step of the HTTP layer: every route must declare who
 * may call it (registering one without a policy fails), and before a handler
 * runs the request's credential is turned into a Principal and held to the
 * policy. Failures are GantryErrors (`unauthenticated`, `forbidden`,
 * `rate_limited`), which each dialect renders in its own error format.
 */
export function registerAuthentication(app: FastifyInstance, identity: IdentityService, settings: AuthSettings): RouteEntry[] {
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const auth = (route.config as { auth?: RouteAuth } | undefined)?.auth;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!auth) throw new Error(`route ${methods.join(',')} ${route.url} declares no access policy`);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, auth });
  });
  app.addHook('onRequest', async (request) => {
    const auth = request.routeOptions.config.auth;
    // Unknown routes (404, 405) have no policy and no handler to protect.
    if (!auth || auth.access.kind === 'public') return;
    const principal = await resolve(identity, settings, request, auth);
    if (auth.access.kind === 'worker') {
      if (principal.via !== 'worker-token') throw new GantryError('forbidden', 'this route is for worker nodes: present a worker token');
    } else {
      if (principal.via === 'worker-token') throw new GantryError('forbidden', 'a worker token only serves the worker routes');
      const { roles, adminAddresses } = auth.access;
      if (roles && principal.via !== 'queue-token' && !roles.some((role) => principal.roles.includes(role))) {
        throw new GantryError('forbidden', `this needs the role ${roles.join(' or ')}`);
      }
      if (adminAddresses && !addressAllowed(settings.apiAllowedIps, request.ip)) {
        throw new GantryError('forbidden', `requests from ${request.ip} are not allowed here (auth.apiAllowedIps)`);
      }
    }
    request.principal = principal;
  });
  return routes;
}

async function resolve(identity: IdentityService, settings: AuthSettings, request: FastifyRequest, auth: RouteAuth): Promise<Principal> {
  const credential: PresentedCredential = presentedCredential(request);
  switch (credential.kind) {
    case 'none': {
      if (auth.access.kind === 'principal' && auth.access.openWithoutKeys && settings.loopbackOnly && !identity.keysFileHasKeys()) return OPEN_EXEC;
      const anonymous = settings.anonymous[auth.dialect];
      if (anonymous === undefined) throw credentialRefused(MISSING_CREDENTIAL, 'missing');
      return identity.resolveAnonymous(anonymous);
    }
    case 'malformed':
      throw new GantryError('unauthenticated', credential.reason);
    case 'basic':
      return identity.resolveBasic(credential.username, credential.password, request.ip);
    case 'cookie':
      return identity.resolveCookie(credential.username, credential.issuedAt);
    case 'bearer': {
      if (settings.isQueueToken(credential.token)) {
        const workflowId = settings.queueTokenWorkflow(credential.token);
        if (workflowId === undefined) throw new GantryError('unauthenticated', 'invalid queue token');
        if (auth.access.kind !== 'principal' || !auth.access.queueTokens) throw new GantryError('forbidden', "a queue token only serves its workflow's queue routes");
        return { userId: null, username: `workflow:${workflowId}`, roles: [], projects: [], via: 'queue-token', workflowId };
      }
      const principal = await identity.resolveBearer(credential.token);
      if (principal.via === 'api-key') {
        const taken = identity.takeApiKeyRequest(credential.token);
        if (!taken.allowed) {
          throw new GantryError('rate_limited', `Rate limit exceeded (${identity.apiKeyRequestsPerSecond} req/s)`, {
            details: { retryAfterSeconds: taken.retryAfterSeconds },
          });
        }
      }
      return principal;
    }
  }
}

function addressAllowed(allowed: readonly string[], address: string): boolean {
  if (allowed.length === 0 || allowed.includes('*')) return true;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return allowed.includes(address) || allowed.includes(plain);
}
