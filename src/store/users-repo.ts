import type { Role, User } from '../core/identity.js';
import type { Db } from './dialect.js';
import type { UserRow } from './tables.js';

export interface NewUser {
  id: string;
  username: string;
  name: string;
  email: string;
  roles: Role[];
  projects: string[];
  passwordHash: string | null;
  createdAt: number;
}

function fromRow(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    email: row.email,
    roles: JSON.parse(row.roles) as Role[],
    projects: JSON.parse(row.projects) as string[],
    hasPassword: row.password_hash !== null,
    enabled: row.enabled === 1,
    createdAt: Number(row.created_at),
    credentialsValidAfter: Number(row.credentials_valid_after),
  };
}

/** Inserts a user; false when the username is taken. */
export async function insert(db: Db, user: NewUser): Promise<boolean> {
  const result = await db
    .insertInto('users')
    .values({
      id: user.id,
      username: user.username,
      name: user.name,
      email: user.email,
      roles: JSON.stringify(user.roles),
      projects: JSON.stringify(user.projects),
      password_hash: user.passwordHash,
      enabled: 1,
      created_at: user.createdAt,
      credentials_valid_after: 0,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function get(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function getByUsername(db: Db, username: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The user and its password hash, for checking a password; undefined when unknown. */
export async function getPasswordHash(db: Db, username: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row ? { user: fromRow(row), passwordHash: row.password_hash } : undefined;
}

export async function list(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  return rows.map(fromRow);
}

export async function count(db: Db): Promise<number> {
  const { n } = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(n);
}

/** Sets the password hash and voids credentials issued before `now`. */
export async function setPassword(db: Db, id: string, passwordHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: passwordHash, credentials_valid_after: now }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setRoles(db: Db, id: string, roles: Role[]): Promise<boolean> {
  const result = await db.updateTable('users').set({ roles: JSON.stringify(roles) }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function remove(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Changes a user's email and whether it is enabled; disabling voids every credential issued before `now`. */
export async function setProfile(db: Db, id: string, fields: { email?: string; enabled?: boolean }, now: number): Promise<boolean> {
  const row: { email?: string; enabled?: number; credentials_valid_after?: number } = {};
  if (fields.email !== undefined) row.email = fields.email;
  if (fields.enabled !== undefined) {
    row.enabled = fields.enabled ? 1 : 0;
    if (!fields.enabled) row.credentials_valid_after = now;
  }
  if (Object.keys(row).length === 0) return true;
  const result = await db.updateTable('users').set(row).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
