import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { TERMINAL_JOB_STATES } from '../../src/core/states.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { startServer, type RunningServer } from '../../src/server.js';

/**
 * A real server on 127.0.0.1 with a throwaway data directory. Tork's routes are
 * open as admin (Tork's own default is no authentication), so the benchmarks
 * that are not about credentials send none; `flags.auth` replaces that. The
 * warm exec pools are off unless `flags.exec` turns them on: making their
 * sandboxes would take CPU from what the other benchmarks measure.
 */
export async function benchServer(flags: ConfigInput = {}, runtime?: Runtime): Promise<RunningServer & { cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const config = loadConfig({ env: {}, flags: { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', auth: { anonymous: { tork: 'admin' } }, exec: { enabled: false }, ...flags } });
  const server = await startServer(config, { runtime });
  return {
    ...server,
    cleanup: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `count` jobs have reached a terminal state, counted on the bus; says how many completed. */
export function jobsEnded(server: RunningServer, count: number): Promise<{ completed: number }> {
  return new Promise((resolve) => {
    let ended = 0;
    let completed = 0;
    const stop = server.core.bus.subscribe((event) => {
      if (event.type !== 'job.state' || !TERMINAL_JOB_STATES.has(event.to)) return;
      ended++;
      if (event.to === 'completed') completed++;
      if (ended === count) {
        stop();
        resolve({ completed });
      }
    });
  });
}
