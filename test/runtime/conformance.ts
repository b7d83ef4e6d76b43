/**
 * The behaviour every runtime owes the rest of Gantry, as a suite any runtime
 * runs against itself: `runRuntimeConformance('docker', makeRuntime)`. Tasks are
 * shell scripts run with `sh`; processes left behind are found on this host by a
 * unique marker in their command line (`sleep <unique duration>`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunStep } from '../../src/core/run-spec.js';
import type { RunOutcome, RunRequest, Runtime, StreamName } from '../../src/runtime/runtime.js';

/** The caps a runtime under test must be made with (the suite checks them). */
export interface ConformanceCaps {
  outputCapBytes: number;
  logLineCapBytes: number;
  logCapBytes: number;
}

export const CONFORMANCE_CAPS: ConformanceCaps = { outputCapBytes: 1024, logLineCapBytes: 200, logCapBytes: 4096 };

export type ConformanceCase =
  | 'lines'
  | 'exit codes'
  | 'signal'
  | 'env and files'
  | 'output and progress'
  | 'tork commands'
  | 'steps'
  | 'timeout'
  | 'cancel'
  | 'caps'
  | 'volumes'
  | 'image notice';

export interface ConformanceOptions {
  /** Cases the runtime cannot provide, each with the reason (shown as the skip). */
  skip?: Partial<Record<ConformanceCase, string>>;
  /** A check after every test, e.g. that no process of the task user is left. */
  afterEachCheck?: () => void | Promise<void>;
}

export interface TaskRun {
  outcome: RunOutcome;
  lines: Array<[StreamName, string]>;
  /** All lines, joined with newlines. */
  text: string;
  backendIds: string[];
  progress: number[];
}

export interface RunOptions {
  signal?: AbortSignal;
  onStarted?: (backendId: string) => void;
  onLine?: (stream: StreamName, line: string) => void;
}

let counter = 0;

export function step(run: string, extra: Partial<RunStep> = {}): RunStep {
  return { role: 'main', name: 'main', run, env: {}, files: {}, ...extra };
}

export function request(steps: RunStep[], extra: Partial<RunRequest> = {}): RunRequest {
  return { taskId: `conf${process.pid}x${counter++}`, attempt: 1, steps, mounts: [], limits: {}, network: false, ...extra };
}

export async function runTask(runtime: Runtime, req: RunRequest, options: RunOptions = {}): Promise<TaskRun> {
  const lines: Array<[StreamName, string]> = [];
  const backendIds: string[] = [];
  const progress: number[] = [];
  const outcome = await runtime.run(
    req,
    {
      onStarted: ({ backendId }) => {
        backendIds.push(backendId);
        options.onStarted?.(backendId);
      },
      onLine: (stream, line) => {
        lines.push([stream, line]);
        options.onLine?.(stream, line);
      },
      onProgress: (percent) => progress.push(percent),
    },
    options.signal ?? new AbortController().signal,
  );
  return { outcome, lines, text: lines.map(([, line]) => line).join('\n'), backendIds, progress };
}

/** Host pids of processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
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

const markers: string[] = [];

/** A `sleep` with a duration unique to this test run, so what is left of it can be found on the host. */
export function uniqueSleep(): string {
  const marker = `sleep ${900 + (counter++ % 90)}.${String(process.pid).padStart(7, '0')}`;
  markers.push(marker);
  return marker;
}

function lineWaiter(): { onLine: (stream: StreamName, line: string) => void; waitFor: (line: string) => Promise<void> } {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  return {
    onLine: (_stream, line) => {
      seen.add(line);
      waiting.get(line)?.();
    },
    // Resolves when the task has printed `line`; the test's own timeout bounds the wait.
    waitFor: (line) => (seen.has(line) ? Promise.resolve() : new Promise((resolve) => waiting.set(line, resolve))),
  };
}

export function runRuntimeConformance(name: string, makeRuntime: (caps: ConformanceCaps) => Runtime | Promise<Runtime>, options: ConformanceOptions = {}): void {
  const caps = CONFORMANCE_CAPS;
  const skip = options.skip ?? {};
  const test = (which: ConformanceCase, title: string, body: () => Promise<void>, timeout?: number): void => {
    const reason = skip[which];
    if (reason) it.skip(`${title} — not provided: ${reason}`, body);
    else it(title, body, timeout);
  };

  describe(`runtime conformance: ${name}`, () => {
    let runtime: Runtime;
    const run = (req: RunRequest, runOptions?: RunOptions): Promise<TaskRun> => runTask(runtime, req, runOptions);

    beforeAll(async () => {
      runtime = await makeRuntime(caps);
      await runtime.start();
    });

    afterEach(async () => {
      // A test that leaves a process of its task behind fails here.
      for (const marker of markers.splice(0)) expect(processesWith(marker), `processes left running: ${marker}`).toEqual([]);
      await options.afterEachCheck?.();
    });

    afterAll(async () => {
      await runtime?.stop();
    });

    test('lines', 'delivers stdout and stderr line by line, each in order, and says once that it started', async () => {
      const result = await run(request([step('echo one; echo two >&2; echo three; printf "no newline"; echo four >&2; echo; echo "  spaced  "')]));
      expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: '' });
      expect(result.lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual(['one', 'three', 'no newline', '  spaced  ']);
      expect(result.lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['two', 'four']);
      expect(result.backendIds).toHaveLength(1);
      expect(result.backendIds[0]).toMatch(/\S/);
    });

    test('exit codes', 'reports exit codes as Tork words them', async () => {
      expect((await run(request([step('exit 0')]))).outcome).toEqual({ end: 'exited', exitCode: 0, output: '' });
      const failed = await run(request([step('echo -n partial > $TORK_OUTPUT; exit 3')]));
      expect(failed.outcome).toEqual({ end: 'exited', exitCode: 3, error: 'exit code 3' });
    });

    test('signal', 'reports a task killed by a signal, naming the signal', async () => {
      const killed = await run(request([step('kill -TERM $$; sleep 5')]));
      expect(killed.outcome).toMatchObject({ end: 'exited', exitCode: null, error: expect.stringMatching(/SIGTERM/) });
    });

    test('env and files', 'passes env and files, and nothing of the host environment', async () => {
      process.env.GANTRY_CONFORMANCE_SECRET = 'leaked';
      try {
        const result = await run(
          request([
            step('cat greeting.txt; cat sub/dir/n.txt; echo "$WHO"; echo "secret=${GANTRY_CONFORMANCE_SECRET:-unset}"; echo "$LANG"; test -n "$PATH" && echo has-path', {
              env: { WHO: 'me and you' },
              files: { 'greeting.txt': 'hello file\n', 'sub/dir/n.txt': 'nested\n' },
            }),
          ]),
        );
        expect(result.text).toBe('hello file\nnested\nme and you\nsecret=unset\nC.UTF-8\nhas-path');
      } finally {
        delete process.env.GANTRY_CONFORMANCE_SECRET;
      }
    });

    test('output and progress', 'captures $TORK_OUTPUT as the result and reports $TORK_PROGRESS', async () => {
      const result = await run(request([step('printf "line 1\\nline 2" > "$TORK_OUTPUT"; echo 42 > "$TORK_PROGRESS"')]));
      expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'line 1\nline 2' });
      expect(result.progress.at(-1)).toBe(42);
    });

    test('tork commands', 'combines run, cmd and entrypoint as Tork does, in /tork/workdir or the given working directory', async () => {
      const script = await run(request([step('cat /tork/entrypoint > $TORK_OUTPUT; pwd')]));
      expect(script.outcome.output).toBe('cat /tork/entrypoint > $TORK_OUTPUT; pwd');
      expect(script.text).toBe('/tork/workdir');
      const cmd = await run(request([{ role: 'main', name: 'cmd', cmd: ['sh', '-c', 'echo -n "from cmd $0 $1" > $TORK_OUTPUT', 'a', 'b'], env: {}, files: {} }]));
      expect(cmd.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'from cmd a b' });
      const bash = await run(request([step('echo -n ${BASH_VERSION:+bash} > $TORK_OUTPUT', { entrypoint: ['bash', '-c'] })]));
      expect(bash.outcome.output).toBe('bash');
      const workdir = await run(request([step('pwd > $TORK_OUTPUT; echo x > made-here && cat made-here; cat f', { files: { f: 'file in workdir\n' } })], { workdir: '/tmp/here' }));
      expect(workdir.outcome).toEqual({ end: 'exited', exitCode: 0, output: '/tmp/here\n' });
      expect(workdir.text).toBe('x\nfile in workdir');
      const nothing = await run(request([{ role: 'main', name: 'empty', env: {}, files: {} }]));
      expect(nothing.outcome).toMatchObject({ end: 'error', error: expect.stringMatching(/nothing to run/) });
    });

    test('steps', 'runs pre, main and post in order; a failing pre stops the task, a failing post fails it', async () => {
      const ordered = await run(
        request([
          step('echo pre; echo -n from-pre > $TORK_OUTPUT', { role: 'pre', name: 'prepare' }),
          step('echo main; cat $TORK_OUTPUT; echo -n result > $TORK_OUTPUT'),
          step('echo post; echo -n from-post > $TORK_OUTPUT', { role: 'post', name: 'tidy' }),
        ]),
      );
      // Each step has its own output file, as each Tork step has its own /tork.
      expect(ordered.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'result' });
      expect(ordered.text).toBe('pre\nmain\npost');
      expect(ordered.backendIds).toHaveLength(1);
      const failingPre = await run(request([step('exit 2', { role: 'pre', name: 'setup' }), step('echo main')]));
      expect(failingPre.outcome).toMatchObject({ end: 'exited', exitCode: 2, error: 'pre task "setup": exit code 2' });
      expect(failingPre.text).not.toContain('main');
      const failingMain = await run(request([step('exit 5'), step('echo post', { role: 'post', name: 'tidy' })]));
      expect(failingMain.outcome).toEqual({ end: 'exited', exitCode: 5, error: 'exit code 5' });
      expect(failingMain.text).not.toContain('post');
      const failingPost = await run(request([step('echo -n ok > $TORK_OUTPUT'), step('exit 6', { role: 'post', name: 'tidy' })]));
      expect(failingPost.outcome).toMatchObject({ end: 'exited', exitCode: 6, error: 'post task "tidy": exit code 6' });
    });

    test(
      'timeout',
      'kills the whole tree at the timeout, daemonised grandchildren included',
      async () => {
        const sleeper = uniqueSleep();
        const script = `${sleeper} & setsid ${sleeper} & (${sleeper} &) ; sh -c '${sleeper} & ${sleeper}' & echo spawned; ${sleeper}`;
        const result = await run(request([step(script, { timeoutMs: 1_000 })]));
        expect(result.text).toContain('spawned');
        expect(result.outcome).toEqual({ end: 'timeout', exitCode: null, error: 'timed out after 1s' });
        expect(processesWith(sleeper)).toEqual([]);
        const pre = await run(request([step('sleep 30', { role: 'pre', name: 'slow', timeoutMs: 300 }), step('echo main')]));
        expect(pre.outcome).toMatchObject({ end: 'timeout', error: 'pre task "slow": timed out after 300ms' });
      },
      20_000,
    );

    test('cancel', 'kills the whole tree promptly on cancel, and does not start a cancelled task', async () => {
      const sleeper = uniqueSleep();
      const controller = new AbortController();
      const lines = lineWaiter();
      const pending = run(request([step(`setsid ${sleeper} & (${sleeper} &); echo ready; ${sleeper}`)]), { signal: controller.signal, onLine: lines.onLine });
      await lines.waitFor('ready');
      const abortedAt = performance.now();
      controller.abort();
      const result = await pending;
      expect(performance.now() - abortedAt).toBeLessThan(3_000);
      expect(result.outcome).toMatchObject({ end: 'cancelled', exitCode: null });
      expect(processesWith(sleeper)).toEqual([]);
      const early = new AbortController();
      early.abort();
      const never = await run(request([step('echo should-not-run')]), { signal: early.signal });
      expect(never.outcome.end).toBe('cancelled');
      expect(never.backendIds).toEqual([]);
      expect(never.text).not.toContain('should-not-run');
    });

    test('caps', 'cuts long lines and marks them, caps the log and the output, and says so', async () => {
      const script =
        'head -c 500 /dev/zero | tr "\\0" a; echo; printf "é%.0s" $(seq 150); echo; i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; head -c 5000 /dev/zero | tr "\\0" b > $TORK_OUTPUT';
      const result = await run(request([step(script)]));
      expect(result.lines[0]![1]).toBe(`${'a'.repeat(caps.logLineCapBytes)}… [line cut at ${caps.logLineCapBytes} bytes]`);
      // A cut never splits a character: 200 bytes of two-byte characters.
      expect(result.lines[1]![1]).toBe(`${'é'.repeat(caps.logLineCapBytes / 2)}… [line cut at ${caps.logLineCapBytes} bytes]`);
      expect(result.lines.at(-1)).toEqual(['stderr', `gantry: log limit of ${caps.logCapBytes} bytes reached; further output of this task is dropped`]);
      expect(result.text).not.toContain('line-99-');
      expect(result.lines.map(([, l]) => Buffer.byteLength(l) + 1).reduce((a, b) => a + b, 0)).toBeLessThan(caps.logCapBytes + 200);
      expect(result.outcome.output).toBe('b'.repeat(caps.outputCapBytes));
    });

    test('volumes', 'shares a volume between the steps of an attempt, and mounts tmpfs', async () => {
      const result = await run(
        request(
          [
            step('echo -n prepared > /data/v; echo scratch > /scratch/s', { role: 'pre', name: 'pre' }),
            step('cat /data/v > $TORK_OUTPUT; test -e /scratch/s && echo scratch-kept || echo scratch-fresh'),
            step('cat /data/v', { role: 'post', name: 'post' }),
          ],
          { mounts: [{ type: 'volume', target: '/data' }, { type: 'tmpfs', target: '/scratch' }] },
        ),
      );
      expect(result.outcome).toEqual({ end: 'exited', exitCode: 0, output: 'prepared' });
      // A tmpfs mount is per step (as in a container per step); a volume outlives the step.
      expect(result.text).toBe('scratch-fresh\nprepared');
      const next = await run(request([step('ls -A /data | wc -l')], { mounts: [{ type: 'volume', target: '/data' }] }));
      expect(next.text.trim()).toBe('0');
      // A working directory inside a volume: the files are written there.
      const inVolume = await run(
        request([step('pwd; cat f; echo more > g', { role: 'pre', name: 'pre', files: { f: 'in the volume\n' } }), step('ls /data/sub')], {
          mounts: [{ type: 'volume', target: '/data' }],
          workdir: '/data/sub',
        }),
      );
      expect(inVolume.text).toBe('/data/sub\nin the volume\nf\ng');
    });

    test('image notice', 'says once per attempt, first, that an image without a root file system runs on the host userland', async () => {
      const result = await run(request([step('echo a', { image: 'alpine:3', role: 'pre', name: 'p' }), step('echo b', { image: 'alpine:3' })]));
      expect(result.lines[0]![0]).toBe('stderr');
      expect(result.lines[0]![1]).toMatch(/^gantry: .*alpine:3.*no root file system/);
      expect(result.text.match(/alpine:3/g)).toHaveLength(1);
    });
  });
}
