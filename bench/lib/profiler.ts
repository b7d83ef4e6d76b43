/**
 * CPU profiles of just the timed part of a benchmark: with BENCH_PROFILE_DIR set,
 * `profiled(name, work)` records a .cpuprofile of this process while `work` runs
 * (the same format as `node --cpu-prof`; read it with bench/lib/profile-top.ts).
 * Without it, `work` simply runs. Startup, warm-up and clean-up stay out of the profile.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;

export async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  (profile of ${name}: ${file})`);
  }
}
