import type { Db } from './dialect.js';

/** Installation-wide values made once (key pairs, signing keys). */

export async function get(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value;
}

/**
 * Stores `value` under `name` unless one is there already, and returns the
 * stored value: of two servers starting at once, both end up with the same one.
 */
export async function getOrInsert(db: Db, name: string, value: string, now: number): Promise<string> {
  await db
    .insertInto('settings')
    .values({ name, value, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await get(db, name))!;
}
