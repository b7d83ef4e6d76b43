/**
 * The warm template on its own, without a server: it starts in its sandbox,
 * runs snippets in sandboxes it prepared, survives losing its process (it is
 * started again, and the snippets it had fail with a clear error), and leaves
 * nothing running when stopped.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandboxHost, type SandboxHost } from '../../src/runtime/process/index.js';
import { WarmTemplate } from '../../src/runtime/warm/warm-template.js';
import { eventually } from '../support/server.js';

const isRoot = process.getuid?.() === 0;
const host = detectSandboxHost('bwrap', { dropPrivileges: isRoot, searchPath: '/usr/sbin:/usr/bin:/sbin:/bin' });
const PYTHON = '/usr/bin/python3';
const silent = { warn: () => undefined, info: () => undefined };

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe.skipIf('error' in host)('the warm template', () => {
  let dir: string;
  let template: WarmTemplate;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-warm-test-'));
    // The template's user must reach its directory.
    chmodSync(dir, 0o755);
    template = new WarmTemplate({
      language: 'python',
      mode: 'fork',
      python: PYTHON,
      spares: 2,
      memoryBytes: 256 * 1024 * 1024,
      tmpBytes: 16 * 1024 * 1024,
      pids: 32,
      outputCapBytes: 65536,
      maxTimeoutSeconds: 30,
      preload: [],
      host: host as SandboxHost,
      runAs: isRoot ? { uid: 65534, gid: 65534 } : undefined,
      dir: join(dir, 'python'),
      extraBinds: [],
      logger: silent,
    });
    await template.start();
  });

  afterAll(async () => {
    await template?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts ready and runs a snippet, telling its exit code and timings', async () => {
    expect(template.problem).toBeUndefined();
    expect(template.ready).toBe(true);
    const run = await template.run('import sys\nprint("hi")\nsys.exit(5)', 5);
    expect(run).toMatchObject({ stdout: 'hi\n', stderr: '', exitCode: 5, signal: null, timedOut: false, truncated: false });
    expect(run.forkMs).toBeGreaterThanOrEqual(0);
    expect(run.execMs).toBeGreaterThan(0);
  });

  it('is started again when its process dies, failing the snippet it had with the reason', async () => {
    const pid = (template as unknown as { child: { pid: number } }).child.pid;
    const pending = template.run('import time\ntime.sleep(30)', 30);
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toThrow(/the python sandbox template stopped/);
    expect(template.ready).toBe(false);
    await eventually(async () => (template.ready ? true : undefined), 10_000);
    expect((await template.run('print(6*7)', 5)).stdout).toBe('42\n');
  });

  it('leaves no sandbox or template process behind when stopped', async () => {
    // The template's bubblewrap names its directory; everything else runs inside it.
    expect(processesMentioning(dir).length).toBeGreaterThan(0);
    const sleeping = template.run('import time\ntime.sleep(30)', 30).catch((error: Error) => error);
    await template.stop();
    expect(await sleeping).toBeInstanceOf(Error);
    await eventually(async () => (processesMentioning(dir).length === 0 ? true : undefined));
    await template.start();
    expect(template.ready).toBe(true);
  });
});
