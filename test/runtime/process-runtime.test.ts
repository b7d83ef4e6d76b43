/**
 * The process runtime: the shared conformance suite in each sandbox mode, then
 * what the sandbox isolates, checked from inside the task and from the host.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isGantryError } from '../../src/core/errors.js';
import { createProcessRuntime, type ProcessRuntimeOptions } from '../../src/runtime/process/index.js';
import type { Runtime, StreamName } from '../../src/runtime/runtime.js';
import { processesWith, request, runRuntimeConformance, runTask, step, uniqueSleep, type RunOptions } from './conformance.js';

const isRoot = process.getuid?.() === 0;
const TASK_UID = 65534;
const cgroupsV1 = isRoot && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && existsSync('/sys/fs/cgroup/pids');
const scratch = mkdtempSync(join(tmpdir(), 'gantry-runtime-test-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

let roots = 0;
function workRoot(): string {
  return join(scratch, `work${roots++}`);
}

function makeRuntime(sandbox: 'bwrap' | 'unshare', extra: Partial<ProcessRuntimeOptions> = {}): Runtime {
  return createProcessRuntime({ workRoot: workRoot(), sandbox, defaultMemoryBytes: 512 * 1024 ** 2, defaultPids: 128, ...extra });
}

/** Processes of the task user that descend from this test process (the runtime's tasks): none may outlive a test. */
function taskUserProcesses(): string[] {
  const parents = new Map<number, number>();
  const uids = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      parents.set(Number(entry), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]));
      uids.set(Number(entry), Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]));
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at)) if (at === process.pid) return true;
    return false;
  };
  return [...uids].filter(([pid, uid]) => uid === TASK_UID && descends(pid)).map(([pid]) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
}

function noTaskProcessesLeft(): void {
  if (isRoot) expect(taskUserProcesses()).toEqual([]);
}

/** The host cgroup directory of `pid` in `controller` (v1). */
function cgroupDirOf(pid: string, controller: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  return join('/sys/fs/cgroup', controller, line!.split(':')[2]!);
}

/** Sends SIGUSR1 to the processes in a cgroup that catch it (the task's script, waiting for it). */
function releaseShells(cgroupDir: string): void {
  const usr1 = 1n << 9n; // signal 10, bit 9 of the caught-signals mask
  for (const pid of readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      const caught = /^SigCgt:\s+([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (caught && (BigInt(`0x${caught}`) & usr1) !== 0n) process.kill(Number(pid), 'SIGUSR1');
    } catch {
      // gone meanwhile
    }
  }
}

/** Resolves once `condition` holds, checking every 10 ms; fails after `withinMs`. */
async function until(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once the task printed `line`. */
function waitForLine(): { onLine: (stream: StreamName, line: string) => void; seen: (line: string) => Promise<void> } {
  const waiting = new Map<string, () => void>();
  const seen = new Set<string>();
  return {
    onLine: (_s, line) => {
      seen.add(line);
      waiting.get(line)?.();
    },
    seen: (line) => (seen.has(line) ? Promise.resolve() : new Promise((resolve) => waiting.set(line, resolve))),
  };
}

for (const mode of ['bwrap', 'unshare'] as const) {
  runRuntimeConformance(`process (${mode})`, (caps) => makeRuntime(mode, caps), { afterEachCheck: noTaskProcessesLeft });
}
// The cold path: every step spawned afresh, no prepared attempt waiting in its cgroups.
runRuntimeConformance('process (bwrap, nothing prepared ahead)', (caps) => makeRuntime('bwrap', { ...caps, prepareAhead: 0 }), { afterEachCheck: noTaskProcessesLeft });

describe.each(['bwrap', 'unshare'] as const)('process sandbox isolation (%s)', (mode) => {
  let runtime: Runtime;
  let root: string;
  const run = (req: Parameters<Runtime['run']>[0], options?: RunOptions): ReturnType<typeof runTask> => runTask(runtime, req, options);

  beforeAll(async () => {
    runtime = makeRuntime(mode);
    await runtime.start();
    root = scratch;
  });

  afterEach(() => {
    noTaskProcessesLeft();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('has no network unless it asks for it, and a loopback of its own', async () => {
    const server: Server = createServer((socket) => {
      // The task closes its end at once; a reset on ours is expected, not an error.
      socket.on('error', () => undefined);
      socket.end('hi\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected' 2>/dev/null || echo refused`;
    try {
      expect((await run(request([step(probe)]))).text).toBe('refused');
      expect((await run(request([step(probe)], { network: true }))).text).toBe('connected');
      const loopback = await run(request([step('python3 -c "import socket; s=socket.socket(); s.bind((\'127.0.0.1\', 0)); s.listen(); print(\'listening\')"')]));
      expect(loopback.text).toBe('listening');
    } finally {
      server.close();
    }
  });

  it('cannot write outside its work area and sees nothing of the host but its userland', async () => {
    const hostPaths = [root, process.cwd(), '/root', '/home', '/var', '/opt', '/etc/shadow', '/sys/fs/cgroup'];
    const result = await run(
      request([
        step(
          'for p in /usr/gantry-x /etc/gantry-x /gantry-x /bin/gantry-x /tork/../gantry-x; do touch $p 2>/dev/null && echo "wrote $p"; done; ' +
            `for p in ${hostPaths.join(' ')}; do test -e $p && echo "sees $p"; done; ` +
            'echo ok > /tmp/x && echo tmp-ok; echo ok > /tork/x && echo tork-ok; echo ok > x && echo workdir-ok; ' +
            'test -x /usr/bin/sh && echo has-usr; id -nu',
        ),
      ]),
    );
    const lines = result.text.split('\n');
    expect(lines.slice(0, 4)).toEqual(['tmp-ok', 'tork-ok', 'workdir-ok', 'has-usr']);
    if (isRoot) expect(lines[4]).toBe('nobody');
  });

  it('sees only its own processes and holds no capabilities', async () => {
    const result = await run(request([step('ls /proc | grep -c "^[0-9]"; grep ^CapEff /proc/self/status; unshare --user true 2>/dev/null && echo made-userns || echo no-userns')]));
    const [count, caps, userns] = result.text.split('\n');
    expect(Number(count)).toBeLessThan(8);
    expect(caps).toMatch(/^CapEff:\s+0+$/);
    expect(userns).toBe('no-userns');
  });

  it('cannot see another task’s files while both run', async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    const hold = uniqueSleep();
    const controller = new AbortController();
    const lines = waitForLine();
    const first = run(request([step(`echo x > ${marker}; echo x > /tmp/${marker}; echo x > /tork/${marker}; echo ready; ${hold}`)]), { signal: controller.signal, onLine: lines.onLine });
    await lines.seen('ready');
    const second = await run(request([step(`find / -name '${marker}*' -not -path '/proc/*' 2>/dev/null | head -5; echo searched`)]));
    controller.abort();
    expect(second.text).toBe('searched');
    expect((await first).outcome.end).toBe('cancelled');
    expect(processesWith(hold)).toEqual([]);
  });

  it.skipIf(!isRoot)('runs as the unprivileged uid, inside and as seen from the host', async () => {
    const bindDir = mkdtempSync(join(scratch, 'bind-'));
    chownSync(bindDir, TASK_UID, TASK_UID);
    const allowing = makeRuntime(mode, { allowBindMounts: true, prepareAhead: 0 });
    await allowing.start();
    try {
      const sleeper = uniqueSleep();
      const lines = waitForLine();
      const controller = new AbortController();
      let hostUids: string[] = [];
      const pending = runTask(allowing, request([step(`id -u; touch /shared/made-by-task; ${sleeper} & echo ready; wait`)], { mounts: [{ type: 'bind', source: bindDir, target: '/shared' }] }), {
        signal: controller.signal,
        onLine: lines.onLine,
      });
      await lines.seen('ready');
      // "ready" may come before the background sleep has exec'd.
      await until(() => processesWith(sleeper).length > 0);
      // Real and effective uid on the host, not just inside the user namespace.
      hostUids = processesWith(sleeper).map((pid) => /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))!.slice(1, 3).join(','));
      controller.abort();
      const result = await pending;
      expect(result.lines[0]).toEqual(['stdout', String(TASK_UID)]);
      expect(hostUids).toEqual([`${TASK_UID},${TASK_UID}`]);
      expect(statSync(join(bindDir, 'made-by-task')).uid).toBe(TASK_UID);
    } finally {
      await allowing.stop();
    }
  });

  it.skipIf(!cgroupsV1)('stops a task at its memory limit and says it ran out of memory', async () => {
    const result = await run(request([step('python3 -c "x = b\\"x\\" * (300 * 1024 * 1024); print(len(x))" && echo survived')], { limits: { memoryBytes: 64 * 1024 ** 2 } }));
    expect(result.outcome).toMatchObject({ end: 'oom', error: expect.stringMatching(/out of memory/) });
    expect(result.text).not.toContain('survived');
  });

  it.skipIf(!cgroupsV1)('caps the number of processes: a fork bomb stays bounded', async () => {
    const sleeper = uniqueSleep();
    let pidsMax = '';
    const lines = waitForLine();
    // The shell holds back the fork bomb until the test has read the limit: once it
    // starts, the task can die (and its cgroup go) before the host would look.
    const hold = 'trap "go=1" USR1; echo ready; i=0; while [ -z "$go" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done';
    const result = await run(
      request([step(`${hold}; n=0; while [ $n -lt 500 ]; do ${sleeper} & n=$((n+1)); done; echo all-started`)], { limits: { pids: 40 } }),
      {
        onLine: (stream, line) => {
          lines.onLine(stream, line);
        },
        onStarted: (pid) => {
          void lines.seen('ready').then(() => {
            const dir = cgroupDirOf(pid, 'pids');
            try {
              pidsMax = readFileSync(join(dir, 'pids.max'), 'utf8').trim();
            } catch (error) {
              pidsMax = String(error);
            }
            releaseShells(dir);
          });
        },
      },
    );
    expect(pidsMax).toBe('40');
    expect(result.text).toMatch(/fork|Resource temporarily unavailable/i);
    expect(result.text).not.toContain('all-started');
    expect(processesWith(sleeper)).toEqual([]);
  });

  it.skipIf(!cgroupsV1)('applies the cpu limit to its cgroup', async () => {
    let quota = '';
    const lines = waitForLine();
    const controller = new AbortController();
    const pending = run(request([step('echo ready; sleep 20')], { limits: { cpus: 0.5 } }), {
      signal: controller.signal,
      onLine: lines.onLine,
      onStarted: (pid) => {
        void lines.seen('ready').then(() => {
          try {
            quota = readFileSync(join(cgroupDirOf(pid, 'cpu'), 'cpu.cfs_quota_us'), 'utf8').trim();
          } catch (error) {
            quota = String(error);
          }
          controller.abort();
        });
      },
    });
    expect((await pending).outcome.end).toBe('cancelled');
    expect(quota).toBe('50000');
  });

  it('refuses bind mounts unless allowed, and honours read-only binds where allowed', async () => {
    const refused = await run(request([step('true')], { mounts: [{ type: 'bind', source: '/etc', target: '/host-etc' }] }));
    expect(refused.outcome).toMatchObject({ end: 'error', exitCode: null, error: expect.stringMatching(/bind mounts are not allowed/) });
    const source = mkdtempSync(join(scratch, 'ro-'));
    chmodSync(source, 0o755);
    writeFileSync(join(source, 'r.txt'), 'readable\n');
    chmodSync(join(source, 'r.txt'), 0o644);
    const allowing = makeRuntime(mode, { allowBindMounts: true, prepareAhead: 0 });
    await allowing.start();
    try {
      const result = await runTask(allowing, request([step('cat /ro/r.txt; touch /ro/w 2>/dev/null && echo wrote || echo read-only')], { mounts: [{ type: 'bind', source, target: '/ro', readOnly: true }] }));
      expect(result.text).toBe('readable\nread-only');
    } finally {
      await allowing.stop();
    }
  });

  it('does not follow what a task leaves in its work area', async () => {
    const sentinel = mkdtempSync(join(scratch, 'sentinel-'));
    chmodSync(sentinel, 0o755);
    writeFileSync(join(sentinel, 'target'), 'untouched');
    writeFileSync(join(sentinel, 'secret'), 'host secret');
    chmodSync(join(sentinel, 'secret'), 0o644);
    const result = await run(
      request([
        step(`ln -s ${sentinel}/target /tork/workdir/f; mkdir -p /tork/workdir/d; ln -s ${sentinel} /tork/workdir/d/link; rm $TORK_OUTPUT; ln -s ${sentinel}/secret $TORK_OUTPUT`, { role: 'pre', name: 'plant' }),
        step(`rm $TORK_OUTPUT; ln -s ${sentinel}/secret $TORK_OUTPUT; cat f`, { files: { f: 'written by gantry\n' } }),
      ]),
    );
    expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: '' });
    expect(result.text).toBe('written by gantry');
    expect(readFileSync(join(sentinel, 'target'), 'utf8')).toBe('untouched');
    const through = await run(request([step('ln -s /tmp /tork/workdir/sub', { role: 'pre', name: 'plant' }), step('true', { files: { 'sub/f': 'x' } })]));
    expect(through.outcome).toMatchObject({ end: 'error', error: expect.stringMatching(/not a directory/) });
    const fifo = await run(request([step('rm $TORK_OUTPUT; mkfifo $TORK_OUTPUT')]));
    expect(fifo.outcome).toEqual({ end: 'exited', exitCode: 0, output: '' });
    const escape = await run(request([step('true', { files: { '../escape': 'x' } })]));
    expect(escape.outcome).toMatchObject({ end: 'error', error: expect.stringMatching(/relative path inside the working directory/) });
  });

  it('gives every attempt a fresh work area, also where it reuses one', async () => {
    // Nothing prepared ahead: each attempt takes the work area the previous one left, if that one could be made fresh.
    const reusing = makeRuntime(mode, { prepareAhead: 0 });
    await reusing.start();
    const look = 'cat $TORK_OUTPUT $TORK_PROGRESS; ls -A /tork /tork/workdir; stat -c %a /tork /tork/workdir';
    const fresh = ['/tork:', 'entrypoint', 'progress', 'stdout', 'workdir', '', '/tork/workdir:', '755', '755'].join('\n');
    try {
      await runTask(reusing, request([step('echo leak > $TORK_OUTPUT; echo 50 > $TORK_PROGRESS')]));
      expect((await runTask(reusing, request([step(look)]))).text).toBe(fresh);
      await runTask(reusing, request([step('chmod 777 /tork; echo x > /tork/workdir/f; ln -s /etc /tork/link')]));
      expect((await runTask(reusing, request([step(look)]))).text).toBe(fresh);
      await runTask(reusing, request([step('rm $TORK_OUTPUT; mkdir $TORK_OUTPUT; chmod 700 /tork/workdir')]));
      expect((await runTask(reusing, request([step(look)]))).text).toBe(fresh);
      const cmd = await runTask(reusing, request([{ role: 'main', name: 'cmd', cmd: ['sh', '-c', 'test -e /tork/entrypoint && echo stale || echo none'], env: {}, files: {} }]));
      expect(cmd.text).toBe('none');
    } finally {
      await reusing.stop();
    }
  });

  it('stays responsive under an output flood and keeps only its log cap', async () => {
    const flood = makeRuntime(mode, { logCapBytes: 64 * 1024, prepareAhead: 0 });
    await flood.start();
    try {
      const result = await runTask(flood, request([step('head -c 200000000 /dev/zero | tr "\\0" x | fold -w 100; echo -n done > $TORK_OUTPUT')]));
      expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'done' });
      expect(result.lines.at(-1)![1]).toMatch(/log limit of 65536 bytes reached/);
      expect(result.lines.length).toBeLessThan(700);
    } finally {
      await flood.stop();
    }
  });

  it('reports progress while the task runs', async () => {
    const polling = makeRuntime(mode, { progressPollMs: 50 });
    await polling.start();
    try {
      const controller = new AbortController();
      const seen: number[] = [];
      const outcome = await polling.run(
        request([step('echo 30 > $TORK_PROGRESS; sleep 20')]),
        {
          onStarted: () => undefined,
          onLine: () => undefined,
          onProgress: (percent) => {
            seen.push(percent);
            controller.abort();
          },
        },
        controller.signal,
      );
      expect(outcome.end).toBe('cancelled');
      expect(seen[0]).toBe(30);
    } finally {
      await polling.stop();
    }
  });

  it('stop() kills what is running; the work areas and cgroups are gone afterwards', async () => {
    const ownCgroups = (): string[] =>
      cgroupsV1 ? ['memory', 'pids', 'cpu'].flatMap((c) => readdirSync(`/sys/fs/cgroup/${c}/gantry`).filter((n) => n.startsWith(`${process.pid}-`)).map((n) => `${c}/${n}`)) : [];
    const before = new Set(ownCgroups());
    const ownRoot = workRoot();
    const own = createProcessRuntime({ workRoot: ownRoot, sandbox: mode });
    await own.start();
    const sleeper = uniqueSleep();
    const lines = waitForLine();
    const pending = runTask(own, request([step(`${sleeper} & echo ready; wait`)], { limits: { pids: 100 } }), { onLine: lines.onLine });
    await lines.seen('ready');
    expect(readdirSync(ownRoot).length).toBeGreaterThan(0);
    if (cgroupsV1) expect(ownCgroups().filter((name) => !before.has(name)).length).toBeGreaterThan(0);
    await own.stop();
    expect((await pending).outcome.end).toBe('cancelled');
    expect(processesWith(sleeper)).toEqual([]);
    expect(readdirSync(ownRoot)).toEqual([]);
    // Other runtimes of this test process keep theirs; this one's are all gone.
    expect(ownCgroups().filter((name) => !before.has(name))).toEqual([]);
  });

  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  const loader = '/lib64/ld-linux-x86-64.so.2';
  it.skipIf(!existsSync(libc) || !existsSync(loader))('runs a step in its image’s root file system when one is configured', async () => {
    // A tiny image: dash and the C library, a file in /etc and an /app directory.
    const rootfs = mkdtempSync(join(scratch, 'image-'));
    chmodSync(rootfs, 0o755);
    for (const [from, to] of [
      ['/usr/bin/dash', 'bin/sh'],
      [libc, libc.slice(1)],
      [loader, loader.slice(1)],
    ] as const) {
      mkdirSync(join(rootfs, to, '..'), { recursive: true });
      copyFileSync(from, join(rootfs, to));
      chmodSync(join(rootfs, to), 0o755);
    }
    mkdirSync(join(rootfs, 'etc'));
    writeFileSync(join(rootfs, 'etc/marker'), 'tiny image\n');
    mkdirSync(join(rootfs, 'app'));
    writeFileSync(join(rootfs, 'app/code.txt'), 'app code\n');
    const imaging = makeRuntime(mode, { images: { tiny: rootfs }, prepareAhead: 0 });
    await imaging.start();
    try {
      const script = 'read m < /etc/marker; echo "$m"; read c < code.txt; echo "$c"; for f in /*; do echo "$f"; done; echo x > /tmp/t && echo tmp-ok; echo -n done > $TORK_OUTPUT';
      const result = await runTask(imaging, request([step(script, { image: 'tiny' })], { workdir: '/app' }));
      expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'done' });
      expect(result.text).toBe(['tiny image', 'app code', '/app', '/bin', '/dev', '/etc', '/lib', '/lib64', '/proc', '/tmp', '/tork', 'tmp-ok'].join('\n'));
    } finally {
      await imaging.stop();
    }
  });

  it('fails to start, saying why, when its sandbox tool is missing', async () => {
    const missing = createProcessRuntime({ workRoot: workRoot(), sandbox: mode, toolPaths: { [mode]: '/nonexistent/tool' } });
    const error = await missing.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGantryError(error) && error.code).toBe('unavailable');
    expect((error as Error).message).toMatch(mode === 'bwrap' ? /bubblewrap/ : /unshare/);
  });
});
