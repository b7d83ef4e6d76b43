import type { Db } from './dialect.js';

export interface NodeStateReport {
  cluster: string;
  hostname: string;
  state: string;
  states: string[];
  cpusAllocated: number;
  memoryAllocated: number;
  gpusAllocated: number;
  jobsRunning: number;
  reportedAt: number;
}

/** Keeps the last report of each node (one transaction for a batch). */
export async function upsertMany(db: Db, reports: readonly NodeStateReport[]): Promise<void> {
  if (reports.length === 0) return;
  const write = async (trx: Db): Promise<void> => {
    for (let i = 0; i < reports.length; i += 50) {
      await trx
        .insertInto('node_states')
        .values(
          reports.slice(i, i + 50).map((report) => ({
            cluster: report.cluster,
            hostname: report.hostname,
            state: report.state,
            states: JSON.stringify(report.states),
            cpus_allocated: report.cpusAllocated,
            memory_allocated: report.memoryAllocated,
            gpus_allocated: report.gpusAllocated,
            jobs_running: report.jobsRunning,
            reported_at: report.reportedAt,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['cluster', 'hostname']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            states: eb.ref('excluded.states'),
            cpus_allocated: eb.ref('excluded.cpus_allocated'),
            memory_allocated: eb.ref('excluded.memory_allocated'),
            gpus_allocated: eb.ref('excluded.gpus_allocated'),
            jobs_running: eb.ref('excluded.jobs_running'),
            reported_at: eb.ref('excluded.reported_at'),
          })),
        )
        .execute();
    }
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

export async function listOfCluster(db: Db, cluster: string): Promise<NodeStateReport[]> {
  const rows = await db.selectFrom('node_states').selectAll().where('cluster', '=', cluster).orderBy('hostname').execute();
  return rows.map((row) => ({
    cluster: row.cluster,
    hostname: row.hostname,
    state: row.state,
    states: JSON.parse(row.states) as string[],
    cpusAllocated: Number(row.cpus_allocated),
    memoryAllocated: Number(row.memory_allocated),
    gpusAllocated: Number(row.gpus_allocated),
    jobsRunning: Number(row.jobs_running),
    reportedAt: Number(row.reported_at),
  }));
}
