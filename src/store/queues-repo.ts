import type { Db } from './dialect.js';

/** Records that a queue exists (idempotent). */
export async function ensure(db: Db, names: readonly string[], now: number): Promise<void> {
  if (names.length === 0) return;
  await db
    .insertInto('queues')
    .values([...new Set(names)].map((name) => ({ name, created_at: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function listNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('queues').select('name').orderBy('name').execute();
  return rows.map((r) => r.name);
}

export async function exists(db: Db, name: string): Promise<boolean> {
  const row = await db.selectFrom('queues').select('name').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}
