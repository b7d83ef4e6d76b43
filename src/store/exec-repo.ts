import type { Insertable } from 'kysely';
import type { Task } from '../core/model.js';
import type { Db } from './dialect.js';
import { jobToRow, type NewJob } from './jobs-repo.js';
import { insertMany as insertTasks } from './tasks-repo.js';
import type { JobRow } from './tables.js';

/** One snippet run, as the store keeps it: a job of kind `exec` and its one task. */
export interface ExecRecord {
  job: NewJob;
  task: Task;
}

/** Stores a batch of exec records in one transaction. */
export async function insertExecRecords(db: Db, records: readonly ExecRecord[]): Promise<void> {
  if (records.length === 0) return;
  const write = async (trx: Db): Promise<void> => {
    await trx
      .insertInto('jobs')
      .values(records.map((record) => jobToRow(record.job) as Insertable<JobRow>))
      .execute();
    await insertTasks(trx, records.map((record) => record.task));
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

/**
 * Forgets the code and output of all but the newest `keep` exec records (their
 * definitions become `{}`, their results null); timings, exit codes and owners stay.
 * Returns how many were cut.
 */
export async function forgetOldExecOutputs(db: Db, keep: number): Promise<number> {
  const newest = await db
    .selectFrom('jobs')
    .select('num_id')
    .where('kind', '=', 'exec')
    .orderBy('num_id', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  if (!newest) return 0;
  const cut = await db
    .updateTable('jobs')
    .set({ definition: '{}', result: null })
    .where('kind', '=', 'exec')
    .where('num_id', '<=', newest.num_id)
    .where('definition', '!=', '{}')
    .executeTakeFirst();
  return Number(cut.numUpdatedRows);
}

