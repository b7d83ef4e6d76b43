import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';

/** What a request presents as its credential, before it is checked. */
export type PresentedCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'cookie'; username: string; issuedAt: number }
  | { kind: 'malformed'; reason: string }
  | { kind: 'none' };

/** The login cookie's name: Zoe's. */
export const LOGIN_COOKIE = 'zoe';

/**
 * Reads the credential a request carries, in the order the dialects look:
 * ClusterCockpit's X-Auth-Token, then `Authorization` (Basic or Bearer), then
 * the signed login cookie.
 */
export function presentedCredential(request: FastifyRequest): PresentedCredential {
  const xAuth = request.headers['x-auth-token'];
  if (typeof xAuth === 'string' && xAuth !== '') return { kind: 'bearer', token: xAuth.trim() };
  const authorization = request.headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    const [scheme, value = ''] = splitOnce(authorization.trim(), ' ');
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { kind: 'malformed', reason: 'Basic credentials must be base64 of username:password' };
      return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (/^bearer$/i.test(scheme) && value.trim() !== '') return { kind: 'bearer', token: value.trim() };
    return { kind: 'malformed', reason: 'the Authorization header must be Basic or Bearer' };
  }
  const cookie = request.cookies?.[LOGIN_COOKIE];
  if (cookie !== undefined) {
    const unsigned = request.unsignCookie(cookie);
    if (!unsigned.valid || unsigned.value === null) return { kind: 'malformed', reason: 'the login cookie is not valid' };
    const [username, issuedAt] = splitOnce(unsigned.value, '|');
    if (!username || !/^\d+$/.test(issuedAt ?? '')) return { kind: 'malformed', reason: 'the login cookie is not valid' };
    return { kind: 'cookie', username, issuedAt: Number(issuedAt) };
  }
  return { kind: 'none' };
}

/** The value a login cookie carries: who, and since when (so a password change voids it). */
export function loginCookieValue(username: string, issuedAt: number): string {
  return `${username}|${issuedAt}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
