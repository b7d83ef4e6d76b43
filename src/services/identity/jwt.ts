import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { GantryError } from '../../core/errors.js';

/**
 * JSON Web Tokens as ClusterCockpit issues and checks them: EdDSA over Ed25519
 * only, claims `sub` (the username), `roles`, `iat` and, with a max age, `exp`.
 * Keys travel as ClusterCockpit writes them (JWT_PUBLIC_KEY, JWT_PRIVATE_KEY):
 * standard base64 of the 32-byte public key and of Go's 64-byte private key
 * (seed, then public key), so one installation's tokens work in the other.
 */
export interface JwtKeys {
  publicKey: KeyObject;
  /** Absent when only verifying (an installation given just the public key). */
  privateKey?: KeyObject;
}

export interface JwtClaims {
  sub: string;
  roles: string[];
  projects: string[];
  name?: string;
}

/** A new key pair in ClusterCockpit's form. */
export function newKeyPair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { publicKey: raw.toString('base64'), privateKey: Buffer.concat([seed, raw]).toString('base64') };
}

/** Keys from ClusterCockpit's base64 form; `what` names the setting in errors. */
export function keysFromBase64(publicKey: string, privateKey: string | undefined, what: string): JwtKeys {
  const raw = Buffer.from(publicKey, 'base64');
  if (raw.length !== 32) throw new GantryError('invalid_input', `${what}: the public key must be 32 bytes in base64, got ${raw.length}`);
  const x = raw.toString('base64url');
  const keys: JwtKeys = { publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }) };
  if (privateKey !== undefined) {
    const secret = Buffer.from(privateKey, 'base64');
    if (secret.length !== 64) throw new GantryError('invalid_input', `${what}: the private key must be 64 bytes (seed and public key) in base64, got ${secret.length}`);
    if (!secret.subarray(32).equals(raw)) throw new GantryError('invalid_input', `${what}: the private key does not belong to the public key`);
    keys.privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d: secret.subarray(0, 32).toString('base64url') }, format: 'jwk' });
  }
  return keys;
}

export async function signJwt(keys: JwtKeys, claims: { sub: string; roles: readonly string[] }, ttlSeconds: number, now = Date.now()): Promise<string> {
  if (!keys.privateKey) throw new GantryError('unavailable', 'this installation has only the public JWT key: it can check tokens but not issue them');
  const token = new SignJWT({ roles: [...claims.roles] })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(Math.floor(now / 1000));
  if (ttlSeconds > 0) token.setExpirationTime(Math.floor(now / 1000) + ttlSeconds);
  return token.sign(keys.privateKey);
}

/** The claims of a valid token; throws `unauthenticated` saying why one is not. */
export async function verifyJwt(keys: JwtKeys, token: string, maxAgeSeconds: number): Promise<JwtClaims & { expiresAt: number | undefined }> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: ['EdDSA'],
      ...(maxAgeSeconds > 0 ? { maxTokenAge: maxAgeSeconds } : {}),
    });
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new GantryError('unauthenticated', "the token has no 'sub' claim");
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
    return {
      sub: payload.sub,
      roles: strings(payload.roles),
      projects: strings(payload.projects),
      name: typeof payload.name === 'string' ? payload.name : undefined,
      expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000,
    };
  } catch (error) {
    if (error instanceof GantryError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new GantryError('unauthenticated', 'the token has expired');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) throw new GantryError('unauthenticated', 'only Ed25519/EdDSA tokens are accepted');
    throw new GantryError('unauthenticated', 'the token is not valid');
  }
}

/** Whether a bearer credential has the shape of a JWT (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}
