import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GantryError, invalidInput } from '../../core/errors.js';
import { credentialRefused, type Principal } from '../../core/identity.js';
import type { Core } from '../../gantry.js';
import { MISSING_CREDENTIAL } from '../auth/authenticate.js';
import { LOGIN_COOKIE, loginCookieValue, presentedCredential } from '../auth/credentials.js';
import { principalOf, publicRoute, userRoute } from '../auth/route-auth.js';
import { zoeUser, type ZoeUser } from './render.js';
import { parseTokenRequest, type TokenRequest } from './token-request.js';

/** `GET /login`: the seed page's `role` and `uid`, and upstream Zoe's `user`. */
export interface ZoeLogin {
  /** The name of the user's Zoe role. */
  role: string;
  uid: string;
  user: ZoeUser;
}

const GRANT_TYPES = '"password" or "refresh_token"';

/** RFC 6749 §5.1: token answers must not be cached (Zoe's OAuth2 library sent these too). */
const NO_CACHE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * Zoe's identity routes: OAuth2 tokens, their revocation, and the login that
 * hands out the `zoe` cookie. See docs/zoe.md.
 */
export function registerAuthRoutes(app: FastifyInstance, core: Core): void {
  const { identity } = core;

  // Public for the hook, which cannot check a refresh token: the handler checks
  // the credential each grant needs.
  app.post('/oauth/token', publicRoute('zoe'), async (request, reply) => {
    const fields = parseTokenRequest(request.body as Buffer | undefined, request.headers['content-type']);
    void reply.headers(NO_CACHE);
    switch (fields.grant_type) {
      case 'password':
        return identity.issueOAuthTokens(await passwordGrantPrincipal(core, request, fields));
      case 'refresh_token':
        return identity.refreshAccessToken(refreshTokenOf(request, fields));
      case undefined:
        throw invalidInput(`grant_type is required: ${GRANT_TYPES}`);
      default:
        throw invalidInput(`unsupported grant_type ${JSON.stringify(fields.grant_type)}: use ${GRANT_TYPES}`);
    }
  });

  // Any user credential, as on Zoe; a user revokes their own tokens, an admin anyone's.
  app.delete<{ Params: { token: string } }>('/oauth/revoke/:token', userRoute('zoe'), async (request) => {
    await identity.revokeToken(request.params.token, principalOf(request));
    return { ret: 'Revoked token.' };
  });

  app.get('/login', userRoute('zoe'), async (request, reply): Promise<ZoeLogin> => {
    const principal = principalOf(request);
    const now = Date.now();
    const issuedAt = loginIssuedAt(request, principal, now);
    const user = await identity.getUser(principal.username);
    setLoginCookie(core, reply, user.username, issuedAt, now);
    const role = await core.appRoles.roleOf({ userId: user.id, roles: user.roles });
    return { role: role.name, uid: user.username, user: zoeUser(user, await core.quotas.quotaIdOf(user.id), role.id) };
  });
}

/** `grant_type: password`: the user's password, as HTTP Basic (the page) or as form fields (RFC 6749 §4.3). */
async function passwordGrantPrincipal(core: Core, request: FastifyRequest, fields: TokenRequest): Promise<Principal> {
  const credential = presentedCredential(request);
  if (credential.kind === 'basic') return core.identity.resolveBasic(credential.username, credential.password, request.ip);
  if (credential.kind === 'malformed') throw new GantryError('unauthenticated', credential.reason);
  if (credential.kind === 'none') {
    if (fields.username !== undefined && fields.password !== undefined) return core.identity.resolveBasic(fields.username, fields.password, request.ip);
    throw credentialRefused(MISSING_CREDENTIAL, 'missing');
  }
  throw new GantryError('unauthenticated', 'grant_type "password" needs the username and password, as HTTP Basic');
}

/** `grant_type: refresh_token`: the refresh token as `Authorization: Bearer` (the page) or the `refresh_token` field (RFC 6749 §6). */
function refreshTokenOf(request: FastifyRequest, fields: TokenRequest): string {
  const credential = presentedCredential(request);
  if (credential.kind === 'bearer') return credential.token;
  if (credential.kind === 'malformed') throw new GantryError('unauthenticated', credential.reason);
  if (credential.kind === 'none') {
    if (fields.refresh_token !== undefined && fields.refresh_token !== '') return fields.refresh_token;
    throw credentialRefused(MISSING_CREDENTIAL, 'missing');
  }
  throw new GantryError('unauthenticated', 'grant_type "refresh_token" needs the refresh token, as Authorization: Bearer <refresh token>');
}

/**
 * When the login cookie to hand out was issued. A login is made with the
 * password (HTTP Basic): a new cookie from now. Logging in again with the
 * cookie answers the same cookie, so it cannot be renewed without the password.
 * Tokens, keys and anonymous access cannot log in.
 */
function loginIssuedAt(request: FastifyRequest, principal: Principal, now: number): number {
  if (principal.via === 'basic') return now;
  if (principal.via === 'cookie') {
    const credential = presentedCredential(request);
    if (credential.kind === 'cookie') return credential.issuedAt;
  }
  throw new GantryError('unauthenticated', 'log in with a username and password (HTTP Basic)');
}

/** Sets the signed `zoe` cookie; its lifetime runs from `issuedAt`, so a re-sent cookie keeps only what it has left. */
function setLoginCookie(core: Core, reply: FastifyReply, username: string, issuedAt: number, now: number): void {
  const lifetimeMs = core.identity.cookieSeconds * 1000;
  const maxAge = Math.max(0, Math.floor((issuedAt + lifetimeMs - now) / 1000));
  void reply.setCookie(LOGIN_COOKIE, loginCookieValue(username, issuedAt), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: core.config.tls !== undefined,
    path: '/',
    maxAge,
    // Expires too, as Zoe's cookie carried, for clients that read only that.
    expires: new Date(issuedAt + lifetimeMs),
  });
}
