/**
 * Where task work areas go by default: in the data directory, unless tasks run
 * as another user who could not reach it (Gantry as root with its data under a
 * closed directory such as /root).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcessRuntime, defaultWorkRoot } from '../../src/runtime/process/index.js';
import { request, runTask, step } from './conformance.js';

const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 'gantry-work-root-test-'));
// mkdtemp makes it 0700: open it, so only the directories the tests close are closed.
chmodSync(scratch, 0o755);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('default work root', () => {
  it('is the data directory’s work/ when tasks run as Gantry’s own user', () => {
    expect(defaultWorkRoot('/somewhere/closed/data', false)).toEqual({ workRoot: '/somewhere/closed/data/work' });
  });

  it('stays in the data directory when every directory above it is open to others', () => {
    const open = join(scratch, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    expect(defaultWorkRoot(join(open, 'data'), true)).toEqual({ workRoot: join(open, 'data', 'work') });
  });

  it.skipIf(!isRoot)('moves under the temp directory when a directory above the data is closed, and tasks run there', async () => {
    const closed = join(scratch, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    const chosen = defaultWorkRoot(join(closed, 'data'), true);
    expect(chosen.workRoot.startsWith(join(tmpdir(), 'gantry-work-'))).toBe(true);
    expect(chosen.movedBecause).toMatch(/cannot pass through .*closed \(mode 700\)/);
    // The same data directory always gets the same place.
    expect(defaultWorkRoot(join(closed, 'data'), true).workRoot).toBe(chosen.workRoot);
    const runtime = createProcessRuntime({ workRoot: chosen.workRoot, defaultMemoryBytes: 256 * 1024 ** 2 });
    await runtime.start();
    try {
      const result = await runTask(runtime, request([step('echo "ran as $(id -u)"')]));
      expect(result.outcome).toMatchObject({ end: 'exited', exitCode: 0 });
      expect(result.text).toBe('ran as 65534');
    } finally {
      await runtime.stop();
      rmSync(chosen.workRoot, { recursive: true, force: true });
    }
  });
});
