import type { Kysely } from 'kysely';

/**
 * Users and the credentials issued to them. Frozen: never edit a migration that
 * has shipped; add a new one. Imports nothing of Gantry's.
 *
 * Secrets are never stored: passwords as scrypt hashes, issued tokens and keys
 * as the SHA-256 of their (high-entropy) text, looked up by that digest.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    // JSON array of role names.
    .addColumn('roles', 'text', (c) => c.notNull())
    // JSON array of project names (ClusterCockpit's managers and users).
    .addColumn('projects', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    // Every credential issued before this time is void (a password change, say).
    .addColumn('credentials_valid_after', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_tokens')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    // access | refresh
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms)
    .addColumn('revoked_at', ms)
    .execute();
  await db.schema.createIndex('access_tokens_user_idx').on('access_tokens').column('user_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    // The key's first characters, to tell keys apart in listings.
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('last_used_at', ms)
    .addColumn('revoked_at', ms)
    .execute();
  await db.schema.createIndex('api_keys_user_idx').on('api_keys').column('user_id').execute();

  await db.schema
    .createTable('worker_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('revoked_at', ms)
    .execute();

  // Installation-wide secrets made on first start (the JWT key pair, the cookie key).
  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
}
