import { randomBytes, randomUUID } from 'node:crypto';
import { GantryError, notFound } from '../../core/errors.js';
import { credentialRefused, isRole, type AccessToken, type ApiKey, type CredentialKind, type Principal, type Role, type User, type WorkerToken } from '../../core/identity.js';
import * as credentialsRepo from '../../store/credentials-repo.js';
import type { Store } from '../../store/open.js';
import * as settingsRepo from '../../store/settings-repo.js';
import * as usersRepo from '../../store/users-repo.js';
import { ApiKeysFile } from './api-keys-file.js';
import { keysFromBase64, newKeyPair, signJwt, verifyJwt, type JwtKeys } from './jwt.js';
import { LoginThrottle } from './login-throttle.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { digestOf, keyedDigest, newSecret } from './secrets.js';
import { TtlCache } from './ttl-cache.js';
import { VerifiedCredentials } from './verified-credentials.js';
import { TokenBuckets } from './token-bucket.js';

export interface IdentityOptions {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  cookieSeconds: number;
  jwt: { publicKey?: string; privateKey?: string; maxAgeSeconds: number; validateUser: boolean };
  /** Path of Zeroboot's keys file. */
  apiKeysFile: string;
  apiKeyRequestsPerSecond: number;
}

export interface IdentityLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Prefix of the API keys Gantry issues, as Zeroboot's live keys look. */
export const API_KEY_PREFIX = 'zb_live_';
/** Prefix of worker tokens, so a mistaken paste is recognised. */
export const WORKER_TOKEN_PREFIX = 'gw_';

/**
 * How long a checked credential is trusted without looking again. Changes made
 * in this process (a revoke, a password change) take effect at once; changes
 * made elsewhere (the CLI, another server) within this time.
 */
const VERIFIED_TTL_MS = 5_000;

/**
 * How long a password that matched is remembered, so that checking it again
 * (every VERIFIED_TTL_MS while it is used) reads the user's row instead of
 * hashing. A changed password has a new hash and is hashed again.
 */
const PASSWORD_MATCH_TTL_MS = 10 * 60_000;

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export interface OAuthTokens {
  token_type: 'Bearer';
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/**
 * Users, their roles and every credential the five APIs use: passwords (HTTP
 * Basic), OAuth2 access and refresh tokens, login cookies, ClusterCockpit JWTs,
 * Zeroboot API keys and worker tokens. Each resolves to the same Principal.
 * Credentials already checked are kept for a few seconds by digest, so that a
 * request pays a lookup, not a password hash or a database read.
 */
export class IdentityService {
  private jwtKeys: JwtKeys | undefined;
  private cookieKey = '';
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new VerifiedCredentials<Principal>(VERIFIED_TTL_MS);
  /** Username-and-password pairs (by keyed digest) that matched, with the stored hash they matched. */
  private readonly passwordMatches = new TtlCache<string>(PASSWORD_MATCH_TTL_MS);
  private readonly throttle = new LoginThrottle();
  private readonly buckets: TokenBuckets;
  private readonly keysFile: ApiKeysFile;

  constructor(
    private readonly store: Store,
    private readonly options: IdentityOptions,
    private readonly logger: IdentityLogger,
  ) {
    this.buckets = new TokenBuckets(options.apiKeyRequestsPerSecond, options.apiKeyRequestsPerSecond);
    this.keysFile = new ApiKeysFile(options.apiKeysFile);
  }

  /** Loads (on first start: makes) the installation's JWT key pair and cookie key. */
  async start(): Promise<void> {
    const now = Date.now();
    const { jwt } = this.options;
    if (jwt.publicKey !== undefined) {
      this.jwtKeys = keysFromBase64(jwt.publicKey, jwt.privateKey, 'config auth.jwt');
    } else {
      if (jwt.privateKey !== undefined) throw new GantryError('invalid_input', 'config auth.jwt: a private key needs its public key (JWT_PUBLIC_KEY)');
      const made = newKeyPair();
      const stored = JSON.parse(await settingsRepo.getOrInsert(this.store.db, 'jwt.keys', JSON.stringify(made), now)) as typeof made;
      this.jwtKeys = keysFromBase64(stored.publicKey, stored.privateKey, 'the stored JWT key pair');
    }
    this.cookieKey = await settingsRepo.getOrInsert(this.store.db, 'cookie.key', randomBytes(32).toString('base64'), now);
  }

  /** The key login cookies are signed with (the same on every server of an installation). */
  get cookieSecret(): string {
    return this.cookieKey;
  }

  get cookieSeconds(): number {
    return this.options.cookieSeconds;
  }

  /** Whether Zeroboot's keys file holds any key (else its exec routes may run without one). */
  keysFileHasKeys(): boolean {
    return this.keysFile.current().size > 0;
  }

  // ---- users ----------------------------------------------------------------

  /**
   * First start: with no users at all, makes `admin` with `password`, or with a
   * random one that is returned (to be shown once). Undefined when users exist.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ password: string; generated: boolean } | undefined> {
    if ((await usersRepo.count(this.store.db)) > 0) return undefined;
    const chosen = password ?? newSecret().slice(0, 24);
    const created = await this.insertUser({ username: 'admin', roles: ['admin'], password: chosen, name: 'Administrator' });
    // Two servers starting at once on one database: the second finds admin there.
    if (!created) return undefined;
    return { password: chosen, generated: password === undefined };
  }

  async addUser(input: { username: string; roles: readonly Role[]; password?: string; name?: string; email?: string; projects?: readonly string[] }): Promise<User> {
    if (!(await this.insertUser(input))) throw new GantryError('conflict', `user ${input.username} already exists`);
    return (await usersRepo.getByUsername(this.store.db, input.username))!;
  }

  private async insertUser(input: { username: string; roles: readonly Role[]; password?: string; name?: string; email?: string; projects?: readonly string[] }): Promise<boolean> {
    if (!USERNAME.test(input.username)) {
      throw new GantryError('invalid_input', 'a username is 1 to 64 letters, digits and . _ @ -, starting with a letter or digit');
    }
    const roles = [...new Set(input.roles)];
    if (roles.length === 0) throw new GantryError('invalid_input', 'a user needs at least one role');
    for (const role of roles) if (!isRole(role)) throw new GantryError('invalid_input', `unknown role ${String(role)}`);
    if (input.password !== undefined) checkPassword(input.password);
    return usersRepo.insert(this.store.db, {
      id: randomUUID(),
      username: input.username,
      name: input.name ?? input.username,
      email: input.email ?? '',
      roles,
      projects: [...(input.projects ?? [])],
      passwordHash: input.password === undefined ? null : await hashPassword(input.password),
      createdAt: Date.now(),
    });
  }

  listUsers(): Promise<User[]> {
    return usersRepo.list(this.store.db);
  }

  async getUser(username: string): Promise<User> {
    const user = await usersRepo.getByUsername(this.store.db, username);
    if (!user) throw notFound(`user ${username} not found`);
    return user;
  }

  async removeUser(username: string): Promise<void> {
    const user = await this.getUser(username);
    if (user.roles.includes('admin') && (await this.listUsers()).filter((u) => u.roles.includes('admin')).length === 1) {
      throw new GantryError('invalid_input', 'the last admin cannot be removed');
    }
    await usersRepo.remove(this.store.db, user.id);
    this.verified.clear();
  }

  async getUserById(id: string): Promise<User> {
    const user = await usersRepo.get(this.store.db, id);
    if (!user) throw notFound('No such user');
    return user;
  }

  /** Changes a user's email, roles or whether it may log in. Disabling, or a change of roles, takes effect at once. */
  async updateUser(username: string, fields: { email?: string; enabled?: boolean; roles?: readonly Role[] }): Promise<User> {
    const user = await this.getUser(username);
    if (fields.roles !== undefined) {
      const roles = [...new Set(fields.roles)];
      if (roles.length === 0) throw new GantryError('invalid_input', 'a user needs at least one role');
      for (const role of roles) if (!isRole(role)) throw new GantryError('invalid_input', `unknown role ${String(role)}`);
      const admins = (await this.listUsers()).filter((u) => u.enabled && u.roles.includes('admin'));
      if (user.roles.includes('admin') && !roles.includes('admin') && admins.length === 1) throw new GantryError('invalid_input', 'the last admin cannot lose the admin role');
      await usersRepo.setRoles(this.store.db, user.id, roles);
    }
    if (fields.enabled === false && user.roles.includes('admin') && (await this.listUsers()).filter((u) => u.enabled && u.roles.includes('admin')).length === 1) {
      throw new GantryError('invalid_input', 'the last admin cannot be disabled');
    }
    await usersRepo.setProfile(this.store.db, user.id, { email: fields.email, enabled: fields.enabled }, Date.now());
    this.verified.clear();
    return this.getUser(username);
  }

  /** Sets a new password; every token and cookie issued to the user before now stops working. */
  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.getUser(username);
    await usersRepo.setPassword(this.store.db, user.id, await hashPassword(password), Date.now());
    this.verified.clear();
  }

  // ---- resolving credentials ------------------------------------------------

  /**
   * HTTP Basic. A password is hashed with scrypt only the first time a pair is
   * seen: after that the pair is known by its keyed digest, together with the
   * stored hash it matched, and checking it again reads the user's row only.
   * Failed attempts are slowed per username and per client address.
   */
  async resolveBasic(username: string, password: string, address: string): Promise<Principal> {
    const pair = keyedDigest(this.cacheKey, `${username}\u0000${password}`);
    return this.verified.get(`basic:${pair}`, async () => {
      const waitMs = this.throttle.waitMs(username, address);
      if (waitMs > 0) throw new GantryError('rate_limited', 'too many failed logins; try again later', { details: { retryAfterSeconds: Math.ceil(waitMs / 1000) } });
      const found = await usersRepo.getPasswordHash(this.store.db, username);
      const storedHash = found?.passwordHash ?? null;
      const known = storedHash !== null && this.passwordMatches.get(pair) === storedHash;
      // An unknown user costs a hash too, so timing does not tell which usernames exist.
      const matches = known || (await verifyPassword(password, storedHash ?? DUMMY_HASH));
      if (!found || storedHash === null || !matches) {
        this.throttle.failed(username, address);
        this.logger.info({ username, address }, 'login failed');
        throw credentialRefused('wrong username or password', 'wrong-password');
      }
      this.throttle.succeeded(username, address);
      this.passwordMatches.set(pair, storedHash);
      return { value: this.principalOf(found.user, 'basic') };
    });
  }

  /**
   * `Authorization: Bearer …` (and ClusterCockpit's X-Auth-Token): a JWT, an
   * API key (Gantry's or from Zeroboot's keys file), an OAuth2 access token or a
   * worker token, told apart by their form.
   */
  async resolveBearer(token: string): Promise<Principal> {
    if (token.startsWith(WORKER_TOKEN_PREFIX)) return this.resolveWorkerToken(token);
    if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) return this.resolveJwt(token);
    if (this.keysFile.current().has(token)) return fileKeyPrincipal(token);
    if (token.startsWith(API_KEY_PREFIX)) return this.resolveApiKey(token);
    return this.resolveAccessToken(token);
  }

  resolveJwt(token: string): Promise<Principal> {
    return this.verified.get(`jwt:${digestOf(token)}`, async () => {
      const claims = await verifyJwt(this.requireJwtKeys(), token, this.options.jwt.maxAgeSeconds);
      const user = await usersRepo.getByUsername(this.store.db, claims.sub);
      if (this.options.jwt.validateUser) {
        // ClusterCockpit's validateUser: only stored users, with their stored roles.
        if (!user) throw new GantryError('unauthenticated', 'unknown user');
        return { value: this.principalOf(user, 'jwt'), expiresAt: claims.expiresAt };
      }
      if (user && !user.enabled) throw new GantryError('unauthenticated', 'the user is disabled');
      const principal: Principal = { userId: user?.id ?? null, username: claims.sub, roles: claims.roles.filter(isRole), projects: claims.projects, via: 'jwt' };
      return { value: principal, expiresAt: claims.expiresAt };
    });
  }

  resolveApiKey(key: string): Promise<Principal> {
    const digest = digestOf(key);
    return this.verified.get(`key:${digest}`, async () => {
      const stored = await credentialsRepo.getApiKeyByDigest(this.store.db, digest);
      if (!stored || stored.revokedAt !== null) throw new GantryError('unauthenticated', 'Invalid API key');
      const user = await usersRepo.get(this.store.db, stored.userId);
      if (!user || !user.enabled) throw new GantryError('unauthenticated', 'Invalid API key');
      const now = Date.now();
      // Last use is kept to the minute: one write a minute per key, not one per request.
      if (stored.lastUsedAt === null || now - stored.lastUsedAt > 60_000) await credentialsRepo.touchApiKey(this.store.db, stored.id, now);
      return { value: this.principalOf(user, 'api-key') };
    });
  }

  resolveAccessToken(token: string): Promise<Principal> {
    return this.verified.get(`token:${digestOf(token)}`, async () => {
      const { user, stored } = await this.validToken(token, 'access');
      return { value: this.principalOf(user, 'access-token'), expiresAt: stored.expiresAt ?? undefined };
    });
  }

  /** The user a login cookie names, if the cookie is still good (issued after the last password change, not expired). */
  async resolveCookie(username: string, issuedAt: number): Promise<Principal> {
    const expiresAt = issuedAt + this.options.cookieSeconds * 1000;
    if (expiresAt <= Date.now()) throw new GantryError('unauthenticated', 'the login cookie has expired');
    return this.verified.get(`cookie:${username}:${issuedAt}`, async () => {
      const user = await usersRepo.getByUsername(this.store.db, username);
      if (!user || !user.enabled || issuedAt < user.credentialsValidAfter) throw new GantryError('unauthenticated', 'the login cookie is no longer valid');
      return { value: this.principalOf(user, 'cookie'), expiresAt };
    });
  }

  resolveWorkerToken(token: string): Promise<Principal> {
    const digest = digestOf(token);
    return this.verified.get(`worker:${digest}`, async () => {
      const stored = await credentialsRepo.getWorkerTokenByDigest(this.store.db, digest);
      if (!stored || stored.revokedAt !== null) throw new GantryError('unauthenticated', 'unknown or revoked worker token');
      return { value: { userId: null, username: `worker:${stored.name}`, roles: [], projects: [], via: 'worker-token' } };
    });
  }

  /** The principal of a configured anonymous mapping (a named user). */
  resolveAnonymous(username: string): Promise<Principal> {
    return this.verified.get(`anonymous:${username}`, async () => {
      const user = await usersRepo.getByUsername(this.store.db, username);
      if (!user || !user.enabled) throw new GantryError('unauthenticated', `anonymous requests are mapped to user ${username}, who does not exist or is disabled`);
      return { value: this.principalOf(user, 'anonymous') };
    });
  }

  /** Requests per second one API key may make. */
  get apiKeyRequestsPerSecond(): number {
    return this.options.apiKeyRequestsPerSecond;
  }

  /** One request of an API key against its per-second budget. */
  takeApiKeyRequest(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    return this.buckets.take(digestOf(key));
  }

  // ---- issuing credentials --------------------------------------------------

  /** Zoe's `grant_type: password`: a new access token and refresh token for the user. */
  async issueOAuthTokens(principal: Principal): Promise<OAuthTokens> {
    const user = await this.storedUserOf(principal);
    const now = Date.now();
    const access = newSecret();
    const refresh = newSecret();
    await credentialsRepo.insertAccessTokens(this.store.db, [
      this.tokenRecord(access, 'access', user.id, now, this.options.accessTokenSeconds),
      this.tokenRecord(refresh, 'refresh', user.id, now, this.options.refreshTokenSeconds),
    ]);
    return { token_type: 'Bearer', access_token: access, refresh_token: refresh, expires_in: this.options.accessTokenSeconds };
  }

  /** Zoe's `grant_type: refresh_token`: a new access token for the refresh token's user. */
  async refreshAccessToken(refreshToken: string): Promise<{ token_type: 'Bearer'; access_token: string; expires_in: number }> {
    const { user } = await this.validToken(refreshToken, 'refresh');
    const access = newSecret();
    await credentialsRepo.insertAccessTokens(this.store.db, [this.tokenRecord(access, 'access', user.id, Date.now(), this.options.accessTokenSeconds)]);
    return { token_type: 'Bearer', access_token: access, expires_in: this.options.accessTokenSeconds };
  }

  /** Revokes an access or refresh token of the principal's own (an admin: anyone's). */
  async revokeToken(token: string, by: Principal): Promise<void> {
    const digest = digestOf(token);
    const stored = await credentialsRepo.getAccessToken(this.store.db, digest);
    if (!stored || (stored.userId !== by.userId && !by.roles.includes('admin'))) throw notFound('no such token');
    if (!(await credentialsRepo.revokeAccessToken(this.store.db, digest, Date.now()))) throw new GantryError('invalid_input', 'the token is already revoked');
    this.verified.clear();
  }

  /** A JWT for a user as ClusterCockpit issues them; `ttlSeconds` defaults to the configured max age. */
  async issueJwt(username: string, ttlSeconds?: number): Promise<string> {
    const user = await this.getUser(username);
    return signJwt(this.requireJwtKeys(), { sub: user.username, roles: user.roles }, ttlSeconds ?? this.options.jwt.maxAgeSeconds);
  }

  /** A new API key for a user; the key's text is returned only here. */
  async createApiKey(username: string, name: string): Promise<{ key: string; apiKey: ApiKey }> {
    const user = await this.getUser(username);
    const key = newSecret(API_KEY_PREFIX);
    const apiKey: ApiKey = { id: randomUUID(), prefix: key.slice(0, API_KEY_PREFIX.length + 6), name, userId: user.id, createdAt: Date.now(), lastUsedAt: null, revokedAt: null };
    await credentialsRepo.insertApiKey(this.store.db, { ...apiKey, digest: digestOf(key) });
    return { key, apiKey };
  }

  async listApiKeys(username?: string): Promise<Array<ApiKey & { username: string }>> {
    const users = new Map((await this.listUsers()).map((user) => [user.id, user.username]));
    const userId = username === undefined ? undefined : (await this.getUser(username)).id;
    return (await credentialsRepo.listApiKeys(this.store.db, userId)).map((key) => ({ ...key, username: users.get(key.userId) ?? '?' }));
  }

  async revokeApiKey(id: string): Promise<void> {
    if (!(await credentialsRepo.revokeApiKey(this.store.db, id, Date.now()))) throw notFound(`no API key ${id} that is not revoked`);
    this.verified.clear();
  }

  async createWorkerToken(name: string): Promise<{ token: string; workerToken: WorkerToken }> {
    const token = newSecret(WORKER_TOKEN_PREFIX);
    const workerToken: WorkerToken = { id: randomUUID(), name, createdAt: Date.now(), revokedAt: null };
    await credentialsRepo.insertWorkerToken(this.store.db, { ...workerToken, digest: digestOf(token) });
    return { token, workerToken };
  }

  listWorkerTokens(): Promise<WorkerToken[]> {
    return credentialsRepo.listWorkerTokens(this.store.db);
  }

  async revokeWorkerToken(id: string): Promise<void> {
    if (!(await credentialsRepo.revokeWorkerToken(this.store.db, id, Date.now()))) throw notFound(`no worker token ${id} that is not revoked`);
    this.verified.clear();
  }

  // ---- helpers ---------------------------------------------------------------

  private principalOf(user: User, via: CredentialKind): Principal {
    if (!user.enabled) throw new GantryError('unauthenticated', 'the user is disabled');
    return { userId: user.id, username: user.username, roles: user.roles, projects: user.projects, via };
  }

  private async storedUserOf(principal: Principal): Promise<User> {
    const user = principal.userId === null ? undefined : await usersRepo.get(this.store.db, principal.userId);
    if (!user) throw new GantryError('invalid_input', 'tokens are issued to stored users only');
    return user;
  }

  private async validToken(token: string, kind: 'access' | 'refresh'): Promise<{ user: User; stored: AccessToken }> {
    const stored = await credentialsRepo.getAccessToken(this.store.db, digestOf(token));
    const now = Date.now();
    if (!stored || stored.kind !== kind) throw credentialRefused(kind === 'access' ? 'unknown access token' : 'unknown refresh token', 'unknown-bearer');
    if (stored.revokedAt !== null) throw new GantryError('unauthenticated', 'the token was revoked');
    if (stored.expiresAt !== null && stored.expiresAt <= now) throw new GantryError('unauthenticated', 'the token has expired');
    const user = await usersRepo.get(this.store.db, stored.userId);
    if (!user || !user.enabled || stored.createdAt < user.credentialsValidAfter) throw new GantryError('unauthenticated', 'the token is no longer valid');
    return { user, stored };
  }

  private tokenRecord(secret: string, kind: 'access' | 'refresh', userId: string, now: number, ttlSeconds: number): AccessToken {
    return { digest: digestOf(secret), kind, userId, createdAt: now, expiresAt: now + ttlSeconds * 1000, revokedAt: null };
  }

  private requireJwtKeys(): JwtKeys {
    if (!this.jwtKeys) throw new GantryError('unavailable', 'the identity service has not started');
    return this.jwtKeys;
  }
}

/** A key from Zeroboot's keys file names no stored user: it acts as an API client of its own. */
function fileKeyPrincipal(key: string): Principal {
  return { userId: null, username: `key:${digestOf(key).slice(0, 12)}`, roles: ['api'], projects: [], via: 'api-key' };
}

function checkPassword(password: string): void {
  if (password.length < 8) throw new GantryError('invalid_input', 'a password needs at least 8 characters');
  if (password.length > 1024) throw new GantryError('invalid_input', 'a password may have at most 1024 characters');
}

/** A valid hash of no password anyone knows, checked for unknown users so they cost the same time. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
