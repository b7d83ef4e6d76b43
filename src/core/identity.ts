import { GantryError } from './errors.js';
/**
 * Who is asking: users, their roles, and the principal every credential of
 * every dialect resolves to.
 */

/**
 * ClusterCockpit's roles, which Gantry uses for every dialect (Zoe's `admin` and
 * `user` are the same words). `admin` sees and does everything; `support` sees
 * everything; `manager` is ClusterCockpit's manager of projects; `user` sees and
 * acts on what is theirs; `api` is for programs (ClusterCockpit's REST clients).
 */
export const ROLES = ['admin', 'support', 'manager', 'user', 'api'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface User {
  id: string;
  username: string;
  name: string;
  email: string;
  roles: Role[];
  /** ClusterCockpit projects (the user's own, or those a manager manages). */
  projects: string[];
  /** False for a user without a password (one that only token-based credentials name). */
  hasPassword: boolean;
  enabled: boolean;
  createdAt: number;
  /** Credentials issued before this time (epoch ms) no longer count: a password change or a disable. */
  credentialsValidAfter: number;
}

/** How a request proved who it is. */
export type CredentialKind = 'basic' | 'access-token' | 'cookie' | 'jwt' | 'api-key' | 'worker-token' | 'queue-token' | 'anonymous';

/** The one answer to "who is this?", whatever the credential. */
export interface Principal {
  /** Null for principals that are not stored users (a key from a keys file, a JWT of an unknown user). */
  userId: string | null;
  username: string;
  roles: readonly Role[];
  projects: readonly string[];
  via: CredentialKind;
  /** For a queue token: the one workflow whose queues it reaches. */
  workflowId?: string;
}

/** Whether the principal may see every user's work, not only its own. */
export function seesEverything(principal: Principal): boolean {
  return principal.roles.includes('admin') || principal.roles.includes('support');
}

/** Whether the principal may act on (cancel, restart, delete) every user's work. */
export function actsOnEverything(principal: Principal): boolean {
  return principal.roles.includes('admin');
}

export type AccessTokenKind = 'access' | 'refresh';

/** An issued OAuth2 token (Zoe's), known by the digest of its text. */
export interface AccessToken {
  digest: string;
  kind: AccessTokenKind;
  userId: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** A Gantry-issued API key (`zb_live_…`), owned by a user; the key itself is shown once. */
export interface ApiKey {
  id: string;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  name: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A token a worker node presents to join (remote workers). */
export interface WorkerToken {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

/** Whether the principal may see work owned by `owner`. */
export function canSee(principal: Principal, owner: string): boolean {
  return owner === principal.username || seesEverything(principal);
}

/** Whether the principal may act on (cancel, restart, change) work owned by `owner`. */
export function canActOn(principal: Principal, owner: string): boolean {
  return owner === principal.username || actsOnEverything(principal);
}

/**
 * Why a credential was refused, where a dialect words it its own way: none
 * came, a password was wrong, or a Bearer value is no token, key or JWT known.
 */
export type CredentialFailure = 'missing' | 'wrong-password' | 'unknown-bearer';

/** An `unauthenticated` error that says which failure it is. */
export function credentialRefused(message: string, failure: CredentialFailure): GantryError {
  return new GantryError('unauthenticated', message, { details: { credentialFailure: failure } });
}

export function credentialFailureOf(error: GantryError): CredentialFailure | undefined {
  return error.code === 'unauthenticated' ? (error.details?.credentialFailure as CredentialFailure | undefined) : undefined;
}
