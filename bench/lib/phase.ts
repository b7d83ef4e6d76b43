import { profiled } from './profiler.js';
import { countStatements, printStatements } from './query-census.js';

/**
 * A timed phase of a benchmark: profiled with BENCH_PROFILE_DIR (see profiler.ts),
 * and with BENCH_QUERIES=1 its SQL statements are counted and printed per job
 * (see query-census.ts; the instrumentation slows it down a little).
 */
export async function phase<T>(name: string, jobs: number, work: () => Promise<T>): Promise<T> {
  const stop = process.env.BENCH_QUERIES === '1' ? countStatements() : undefined;
  try {
    return await profiled(name, work);
  } finally {
    if (stop) printStatements(name, stop(), jobs);
  }
}
