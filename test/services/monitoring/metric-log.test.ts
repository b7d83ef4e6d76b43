/**
 * Metric samples are acknowledged once logged, written to the database in
 * chunks later: what a crash leaves in the log is read back at the next start,
 * and nothing acknowledged is lost.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../../src/core/metrics.js';
import { MetricService } from '../../../src/services/monitoring/metric-service.js';
import * as metricsRepo from '../../../src/store/metrics-repo.js';
import { openStore, type Store } from '../../../src/store/open.js';
import { createTestDatabase, STORES, type TestDatabase } from '../../support/stores.js';

const samples = (count: number): MetricSample[] =>
  Array.from({ length: count }, (_, i) => ({ cluster: 'c', host: `h${i % 4}`, metric: 'cpu_load', scope: 'node', scopeId: '', jobId: null, ts: 1_700_000_000 + i, value: i }));

describe.each(STORES)('the metric sample log (%s)', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function storeOf(): Promise<{ store: Store; database: TestDatabase }> {
    const database = await createTestDatabase(kind);
    const store = await openStore({ database: database.database, dataDir: database.dataDir });
    cleanups.push(async () => {
      await store.close();
      await database.drop();
    });
    return { store, database };
  }

  const stored = async (store: Store) =>
    (await metricsRepo.chunksOf(store.db, { cluster: 'c', hosts: ['h0', 'h1', 'h2', 'h3'], from: 1_699_990_000, to: 1_700_010_000 })).reduce((sum, chunk) => sum + chunk.pairs.length / 2, 0);

  it('writes what it took on stop, and leaves nothing in the log', async () => {
    const { store, database } = await storeOf();
    const logDir = join(database.dataDir, 'log');
    const metrics = new MetricService(store, () => [], logDir);
    await metrics.start();
    expect(await metrics.ingest(samples(1000))).toBe(1000);
    await metrics.stop();
    expect(await stored(store)).toBe(1000);
    // What is left is the empty file the next samples would have gone to.
    const left = readdirSync(logDir).filter((name) => name.endsWith('.log'));
    expect(left.map((name) => statSync(join(logDir, name)).size)).toEqual([0]);
  });

  it('reads back, at the next start, the samples a crash left in the log, once', async () => {
    const first = await storeOf();
    const logDir = join(first.database.dataDir, 'log');
    const running = new MetricService(first.store, () => [], logDir);
    await running.start();
    await running.ingest(samples(500));
    await running.ingest(samples(250).map((sample) => ({ ...sample, ts: sample.ts + 5000 })));
    // The log as a crash at this moment would leave it: acknowledged, not yet written.
    const crashed = mkdtempSync(join(tmpdir(), 'gantry-metric-log-'));
    cleanups.push(async () => rmSync(crashed, { recursive: true, force: true }));
    cpSync(logDir, crashed, { recursive: true });
    await running.stop();

    const second = await storeOf();
    const restarted = new MetricService(second.store, () => [], crashed);
    await restarted.start();
    expect(await stored(second.store)).toBe(750);
    // Written, so removed: a further start adds nothing.
    await restarted.stop();
    const again = new MetricService(second.store, () => [], crashed);
    await again.start();
    await again.stop();
    expect(await stored(second.store)).toBe(750);
  });
});
