import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunStep } from '../../src/core/run-spec.js';
import { createProcessRuntime } from '../../src/runtime/process/index.js';
import type { RunOutcome, RunRequest, Runtime, StreamName } from '../../src/runtime/runtime.js';

const isRoot = process.getuid?.() === 0;
let counter = 0;

function step(run: string, extra: Partial<RunStep> = {}): RunStep {
  return { role: 'main', name: 'main', run, env: {}, files: {}, ...extra };
}

function request(steps: RunStep[], extra: Partial<RunRequest> = {}): RunRequest {
  return { taskId: `t${counter++}`, attempt: 1, steps, mounts: [], limits: {}, network: false, ...extra };
}

interface Run {
  outcome: RunOutcome;
  lines: Array<[StreamName, string]>;
  text: string;
  backendId?: string;
}

/** Every process on the host whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe.each(['bwrap', 'unshare'] as const)('the process sandbox (%s)', (mode) => {
  // util-linux unshare cannot hide or re-mount the host's file system (docs/sandbox.md).
  const bwrapOnly = mode !== 'bwrap';
  let runtime: Runtime;
  let workRoot: string;
  const markers: string[] = [];

  async function run(req: RunRequest, options: { signal?: AbortSignal; onStarted?: (pid: string) => void } = {}): Promise<Run> {
    const lines: Array<[StreamName, string]> = [];
    let backendId: string | undefined;
    const outcome = await runtime.run(
      req,
      {
        onStarted: ({ backendId: id }) => {
          backendId = id;
          options.onStarted?.(id);
        },
        onLine: (stream, line) => lines.push([stream, line]),
      },
      options.signal ?? new AbortController().signal,
    );
    return { outcome, lines, text: lines.map(([, line]) => line).join('\n'), backendId };
  }

  /** A sleep whose duration is unique to this test, so leftovers can be found. */
  function uniqueSleep(): string {
    const marker = `sleep ${900 + (counter++ % 90)}.${process.pid % 1000}`;
    markers.push(marker);
    return marker;
  }

  beforeAll(async () => {
    workRoot = mkdtempSync(join(tmpdir(), 'gantry-sandbox-'));
    runtime = createProcessRuntime({
      workRoot: join(workRoot, 'work'),
      sandbox: mode,
      defaultMemoryBytes: 512 * 1024 ** 2,
      defaultPids: 64,
      outputCapBytes: 1024,
      logLineCapBytes: 200,
      logCapBytes: 4096,
      images: {},
      allowBindMounts: false,
    });
    await runtime.start();
  });

  afterEach(() => {
    // A test that leaves a process of its task behind fails here.
    for (const marker of markers.splice(0)) expect(processesWith(marker), `processes left running: ${marker}`).toEqual([]);
  });

  afterAll(async () => {
    await runtime?.stop();
    rmSync(workRoot, { recursive: true, force: true });
  });

  it('captures stdout and stderr line by line, the exit code and $TORK_OUTPUT', async () => {
    const result = await run(request([step('echo one; echo two >&2; printf "three"; echo -n result > $TORK_OUTPUT')]));
    expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'result' });
    expect(result.lines).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
      ['stdout', 'three'],
    ]);
    const failed = await run(request([step('exit 4')]));
    expect(failed.outcome).toMatchObject({ end: 'exited', exitCode: 4, error: 'exit code 4' });
  });

  it('passes env and files, and not the host environment', async () => {
    const result = await run(request([step('cat greeting.txt; echo "$WHO"; echo "secret=${GANTRY_TEST_HOST_VAR:-unset}"', { env: { WHO: 'me' }, files: { 'greeting.txt': 'hello file\n' } })]));
    process.env.GANTRY_TEST_HOST_VAR = 'leak';
    expect(result.text).toBe('hello file\nme\nsecret=unset');
  });

  it.skipIf(!isRoot)('runs as the unprivileged uid, inside and on the host', async () => {
    const sleeper = uniqueSleep();
    let hostUids: string[] = [];
    const result = await run(request([step(`id -u; ${sleeper} & sleep 0.5; kill $!`)]), {
      onStarted: () => {
        setTimeout(() => {
          hostUids = processesWith(sleeper).map((pid) => /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?');
        }, 300);
      },
    });
    expect(result.text).toBe('65534');
    // Seen from the host, not just inside the user namespace.
    expect(hostUids.length).toBeGreaterThan(0);
    expect(new Set(hostUids)).toEqual(new Set(['65534']));
  });

  it.skipIf(bwrapOnly)('cannot write outside its work area, and sees nothing of the host but /usr', async () => {
    const result = await run(
      request([
        step(
          'for p in /usr/gantry-x /etc/gantry-x /gantry-x; do touch $p 2>/dev/null && echo "wrote $p"; done; ' +
            'ls /root /work /home 2>/dev/null | head -1; echo ok > /tmp/x && echo tmp-ok; echo ok > /tork/workdir/x && echo work-ok',
        ),
      ]),
    );
    expect(result.text).toBe('tmp-ok\nwork-ok');
  });

  it.skipIf(bwrapOnly)('cannot see another task’s files while both run', async () => {
    const marker = `marker-${Date.now()}`;
    const hold = uniqueSleep();
    const first = run(request([step(`echo x > ${marker}; echo x > /tmp/${marker}; ${hold}`, { timeoutMs: 3_000 })]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await run(request([step(`find / -name '${marker}*' -not -path '/proc/*' 2>/dev/null | head -5; echo searched`)]));
    expect(second.text).toBe('searched');
    expect((await first).outcome.end).toBe('timeout');
  });

  it('has no network unless it asks for it', async () => {
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
    } finally {
      server.close();
    }
  });

  it('kills the whole tree, daemonised children included, at the timeout', async () => {
    const sleeper = uniqueSleep();
    const result = await run(request([step(`${sleeper} & setsid ${sleeper} & (${sleeper} &) ; ${sleeper}`, { timeoutMs: 500 })]));
    expect(result.outcome).toMatchObject({ end: 'timeout', error: 'timed out after 500ms' });
    expect(processesWith(sleeper)).toEqual([]);
  });

  it('kills the whole tree on cancel', async () => {
    const sleeper = uniqueSleep();
    const controller = new AbortController();
    const pending = run(request([step(`setsid ${sleeper} & ${sleeper}`)]), { signal: controller.signal, onStarted: () => setTimeout(() => controller.abort(), 200) });
    const result = await pending;
    expect(result.outcome.end).toBe('cancelled');
    expect(processesWith(sleeper)).toEqual([]);
  });

  it.skipIf(!isRoot)('stops a task at its memory limit', async () => {
    const result = await run(request([step('python3 -c "x = b\\"x\\" * (300 * 1024 * 1024); print(len(x))" && echo survived')], { limits: { memoryBytes: 64 * 1024 ** 2 } }));
    expect(result.outcome).toMatchObject({ end: 'oom', error: expect.stringMatching(/out of memory/) });
    expect(result.text).not.toContain('survived');
  });

  it.skipIf(!isRoot)('caps the number of processes', async () => {
    const sleeper = uniqueSleep();
    const result = await run(
      request([step(`n=0; while [ $n -lt 200 ]; do ${sleeper} & n=$((n+1)); done; echo started; kill $(jobs -p) 2>/dev/null; exit 0`)], {
        limits: { pids: 20 },
      }),
    );
    expect(result.text).toMatch(/fork|Resource temporarily unavailable/i);
    expect(processesWith(sleeper)).toEqual([]);
  });

  it.skipIf(!isRoot)('applies the cpu limit to its cgroup', async () => {
    let quota: string | undefined;
    const req = request([step('sleep 0.3')], { limits: { cpus: 0.5 } });
    await run(req, {
      onStarted: () => {
        const dir = readdirSync('/sys/fs/cgroup/cpu/gantry').find((name) => name.endsWith(`-${req.taskId}-1`));
        quota = readFileSync(`/sys/fs/cgroup/cpu/gantry/${dir}/cpu.cfs_quota_us`, 'utf8').trim();
      },
    });
    expect(quota).toBe('50000');
  });

  it.skipIf(bwrapOnly)('runs pre, main and post in order over a shared volume; a failing pre stops the task', async () => {
    const result = await run(
      request(
        [
          step('echo -n prepared > /data/v', { role: 'pre', name: 'pre' }),
          step('cat /data/v > $TORK_OUTPUT; echo main'),
          step('echo post; cat /data/v', { role: 'post', name: 'post' }),
        ],
        { mounts: [{ type: 'volume', target: '/data' }] },
      ),
    );
    expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'prepared' });
    expect(result.text).toBe('main\npost\nprepared');
    const failing = await run(request([step('exit 2', { role: 'pre', name: 'setup' }), step('echo main')]));
    expect(failing.outcome).toMatchObject({ end: 'exited', exitCode: 2, error: 'pre task "setup": exit code 2' });
    expect(failing.text).not.toContain('main');
  });

  it.skipIf(bwrapOnly)('refuses bind mounts unless allowed, and mounts tmpfs', async () => {
    const bind = await run(request([step('true')], { mounts: [{ type: 'bind', source: '/etc', target: '/host-etc' }] }));
    expect(bind.outcome).toMatchObject({ end: 'error', error: expect.stringMatching(/bind mounts are not allowed/) });
    const tmpfs = await run(request([step('echo x > /scratch/f && cat /scratch/f')], { mounts: [{ type: 'tmpfs', target: '/scratch' }] }));
    expect(tmpfs.text).toBe('x');
  });

  it('cuts long lines, caps the log and the output file, and says so', async () => {
    const result = await run(request([step('head -c 500 /dev/zero | tr "\\0" a; echo; i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; head -c 5000 /dev/zero | tr "\\0" b > $TORK_OUTPUT')]));
    expect(result.lines[0]![1]).toMatch(/^a{200}… \[line cut at 200 bytes\]$/);
    expect(result.text).toContain('log limit of 4096 bytes reached');
    expect(result.text).not.toContain('line-99-');
    expect(result.outcome.output).toHaveLength(1024);
  });

  it('says once per task that an image without a root file system runs on the host userland', async () => {
    const result = await run(request([step('echo a', { image: 'alpine:3', role: 'pre', name: 'p' }), step('echo b', { image: 'alpine:3' })]));
    expect(result.text.match(/image alpine:3 has no root file system configured/g)).toHaveLength(1);
  });
});
