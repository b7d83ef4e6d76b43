import type { AccessToken, AccessTokenKind, ApiKey, WorkerToken } from '../core/identity.js';
import type { Db } from './dialect.js';
import type { AccessTokenRow, ApiKeyRow, WorkerTokenRow } from './tables.js';

/** Issued credentials (OAuth tokens, API keys, worker tokens), each known by the digest of its text. */

function tokenFromRow(row: AccessTokenRow): AccessToken {
  return {
    digest: row.digest,
    kind: row.kind as AccessTokenKind,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export async function insertAccessTokens(db: Db, tokens: readonly AccessToken[]): Promise<void> {
  if (tokens.length === 0) return;
  await db
    .insertInto('access_tokens')
    .values(
      tokens.map((t) => ({ digest: t.digest, kind: t.kind, user_id: t.userId, created_at: t.createdAt, expires_at: t.expiresAt, revoked_at: t.revokedAt })),
    )
    .execute();
}

export async function getAccessToken(db: Db, digest: string): Promise<AccessToken | undefined> {
  const row = await db.selectFrom('access_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row ? tokenFromRow(row) : undefined;
}

/** Revokes a token that is not revoked yet; false when there was none. */
export async function revokeAccessToken(db: Db, digest: string, now: number): Promise<boolean> {
  const result = await db.updateTable('access_tokens').set({ revoked_at: now }).where('digest', '=', digest).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Drops tokens that expired before `before`; returns how many. */
export async function deleteExpiredAccessTokens(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('access_tokens').where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

function keyFromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export async function insertApiKey(db: Db, key: ApiKey & { digest: string }): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      digest: key.digest,
      prefix: key.prefix,
      name: key.name,
      user_id: key.userId,
      created_at: key.createdAt,
      last_used_at: key.lastUsedAt,
      revoked_at: key.revokedAt,
    })
    .execute();
}

export async function getApiKeyByDigest(db: Db, digest: string): Promise<ApiKey | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row ? keyFromRow(row) : undefined;
}

export async function listApiKeys(db: Db, userId?: string): Promise<ApiKey[]> {
  let query = db.selectFrom('api_keys').selectAll().orderBy('created_at');
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  return (await query.execute()).map(keyFromRow);
}

/** Revokes a key by id; false when there is no such key not yet revoked. */
export async function revokeApiKey(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function touchApiKey(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}

function workerTokenFromRow(row: WorkerTokenRow): WorkerToken {
  return { id: row.id, name: row.name, createdAt: Number(row.created_at), revokedAt: row.revoked_at === null ? null : Number(row.revoked_at) };
}

export async function insertWorkerToken(db: Db, token: WorkerToken & { digest: string }): Promise<void> {
  await db.insertInto('worker_tokens').values({ id: token.id, digest: token.digest, name: token.name, created_at: token.createdAt, revoked_at: token.revokedAt }).execute();
}

export async function getWorkerTokenByDigest(db: Db, digest: string): Promise<WorkerToken | undefined> {
  const row = await db.selectFrom('worker_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row ? workerTokenFromRow(row) : undefined;
}

export async function listWorkerTokens(db: Db): Promise<WorkerToken[]> {
  return (await db.selectFrom('worker_tokens').selectAll().orderBy('created_at').execute()).map(workerTokenFromRow);
}

export async function revokeWorkerToken(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('worker_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
