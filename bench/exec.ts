/**
 * Exec: Zeroboot's `POST /v1/exec` served from Gantry's warm sandbox pools, for
 * python `print(1+1)` and node `console.log(1+1)`, on a real server (SQLite,
 * loopback, no keys file: the exec routes need no credential there).
 *
 * - Sequential: BENCH_REQUESTS (1,000) requests, one at a time over one
 *   keep-alive connection (bench/lib/http.ts): p50/p99 of the server's own
 *   `fork_time_ms` and `total_time_ms`, the client's round trip, requests/s.
 * - Concurrent: the same number with 16 clients. They are 16 loops in this
 *   process (the server's), each on its own keep-alive connection (node:http),
 *   not the load-generator process: that one reports only latency and wall
 *   time, and every answer's fields are to be read and checked.
 * - Cold (the baseline): the same snippet in a freshly started sandboxed
 *   interpreter, bubblewrap started per run as the process runtime starts it
 *   (as the unprivileged task user when this runs as root; the sandbox the warm
 *   template itself gets), timed from spawn to exit, 200 runs one at a time.
 *   The ratio warm total p50 / cold p50 is the figure (target ≤ 0.25).
 * - Python in both modes, each on its own server: `exec.pythonMode: 'fork'` (the
 *   template forks a prepared interpreter) and `'exec'` (a plain pool: each
 *   sandbox execs a fresh python ahead of demand). Node is measured on the first.
 * - Memory per idle warm sandbox: with the server idle after the warm-up and each
 *   pool full, the PSS (/proc/<pid>/smaps_rollup) of the template's process tree
 *   (its bubblewrap processes, the template, the sandboxes waiting under it)
 *   divided by the number of waiting sandboxes, beside each sandbox's own
 *   private memory (what one more sandbox costs).
 *
 * Every answer is checked (status 200, stdout "2\n", exit_code 0); a wrong one
 * aborts the run. BENCH_ROUNDS rounds (default 1: one takes about 3.5 minutes on
 * 2 cores, most of it node and python-exec at 25-40 snippets/s), in alternating
 * order, after a warm-up of each pool; figures are medians of the per-round
 * figures. BENCH_COLD_RUNS (200) cold runs per language per round.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import { buildSandboxInvocation, detectSandboxHost, type SandboxHost, type SandboxSpec } from '../src/runtime/process/index.js';
import { machineBusySeconds } from './lib/cpu.js';
import { httpClient } from './lib/http.js';
import { profiled } from './lib/profiler.js';
import { benchServer } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 200);
const WARMUP = 100;
/** Paced: one request at a time, each after a pause long enough for the pool to replace the sandbox it used. */
const PACED_REQUESTS = Number(process.env.BENCH_PACED ?? 100);
const CLIENTS = 16;
const SPARES = { python: 16, node: 8 };
const MAX_RUNNING = 32;
const TIMEOUT_SECONDS = 30;
const NOBODY = 65534;

type Language = 'python' | 'node';
type PythonMode = 'fork' | 'exec';
const SNIPPETS: Record<Language, string> = { python: 'print(1+1)', node: 'console.log(1+1)' };
const EXPECTED_STDOUT = '2\n';

// ---------------------------------------------------------------- /proc

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  args: string[];
  /** utime + stime, and cutime + cstime (children it reaped), in seconds. */
  ownSeconds: number;
  reapedSeconds: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    const ticks = (index: number): number => Number(fields[index]) / 100;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    return { pid, ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close), args, ownSeconds: ticks(11) + ticks(12), reapedSeconds: ticks(13) + ticks(14) };
  } catch {
    return undefined; // gone
  }
}

function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is Proc => p !== undefined);
}

/** A language's warm template as processes: its tree (bubblewrap, the template, what is under it), the template, the sandboxes. */
interface TemplateTree {
  pids: number[];
  template: Proc;
  sandboxes: Proc[];
}

/**
 * The warm templates this process's server started: the bubblewrap processes it
 * spawned whose command line runs `/tork/warm-template.py`, each with everything
 * under it. The language is the last part of the directory bound at /tork.
 */
function templateTrees(): Map<Language, TemplateTree> {
  const procs = allProcs();
  const children = new Map<number, Proc[]>();
  for (const proc of procs) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), proc]);
  const trees = new Map<Language, TemplateTree>();
  for (const root of children.get(process.pid) ?? []) {
    if (!root.args.includes('/tork/warm-template.py')) continue;
    const tork = root.args.indexOf('/tork');
    const language = basename(root.args[tork - 1] ?? '') as Language;
    const tree: Proc[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const proc = queue.shift()!;
      tree.push(proc);
      queue.push(...(children.get(proc.pid) ?? []));
    }
    // The template: the first process in the tree that is not bubblewrap and runs the template script.
    const template = tree.find((p) => !p.comm.startsWith('bwrap') && p.args.includes('/tork/warm-template.py') && !p.args.includes('--run'));
    if (!template) continue;
    trees.set(language, { pids: tree.map((p) => p.pid), template, sandboxes: children.get(template.pid) ?? [] });
  }
  return trees;
}

function templateTree(language: Language): TemplateTree {
  const tree = templateTrees().get(language);
  if (!tree) throw new Error(`no warm ${language} template found under this process`);
  return tree;
}

/** Waits until the language's pool holds `spares` sandboxes, three looks in a row 100 ms apart. */
async function poolFull(language: Language, spares: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  let streak = 0;
  while (streak < 3) {
    if (performance.now() > deadline) throw new Error(`the ${language} pool did not refill to ${spares} sandboxes`);
    await sleep(100);
    streak = templateTree(language).sandboxes.length === spares ? streak + 1 : 0;
  }
}

/** kB from /proc/<pid>/smaps_rollup; nothing for a process gone meanwhile. */
function memoryOf(pid: number): { rss: number; pss: number; private: number } {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return { rss: 0, pss: 0, private: 0 };
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}

interface Memory {
  sandboxes: number;
  /** kB: the whole tree's PSS and RSS, the template (and its bubblewrap) apart, and each waiting sandbox's private memory. */
  treePss: number;
  treeRss: number;
  templatePss: number;
  sandboxPrivate: number[];
  sandboxPss: number[];
}

function measureMemory(language: Language): Memory {
  const tree = templateTree(language);
  const sandboxPids = new Set(tree.sandboxes.map((s) => s.pid));
  let treePss = 0;
  let treeRss = 0;
  let templatePss = 0;
  const sandboxPrivate: number[] = [];
  const sandboxPss: number[] = [];
  for (const pid of tree.pids) {
    const memory = memoryOf(pid);
    treePss += memory.pss;
    treeRss += memory.rss;
    if (sandboxPids.has(pid)) {
      sandboxPrivate.push(memory.private);
      sandboxPss.push(memory.pss);
    } else {
      templatePss += memory.pss;
    }
  }
  return { sandboxes: tree.sandboxes.length, treePss, treeRss, templatePss, sandboxPrivate, sandboxPss };
}

// ---------------------------------------------------------------- warm: over HTTP

interface Measurement {
  forkMs: number[];
  totalMs: number[];
  roundTripMs: number[];
  perSecond: number;
  /** CPU ms per request: this process (the server and, concurrent, the client loops), the template with the sandboxes it reaped, the machine. */
  benchCpuMs: number;
  templateCpuMs: number;
  machineCpuMs: number;
}

const body = (language: Language): { contentType: string; text: string } => ({
  contentType: 'application/json',
  text: JSON.stringify({ code: SNIPPETS[language], language, timeout_seconds: TIMEOUT_SECONDS }),
});

/** Checks one answer; aborts the benchmark on a wrong one. */
function checked(what: string, answer: { status: number; text: string }): { fork: number; total: number } {
  let parsed: any;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (answer.status !== 200 || parsed?.stdout !== EXPECTED_STDOUT || parsed?.exit_code !== 0 || typeof parsed.fork_time_ms !== 'number' || typeof parsed.total_time_ms !== 'number') {
    throw new Error(`WRONG ANSWER (${what}): status ${answer.status}, body ${answer.text.slice(0, 500)}`);
  }
  return { fork: parsed.fork_time_ms as number, total: parsed.total_time_ms as number };
}

/**
 * `count` requests over `clients` keep-alive connections, `clients` in flight (1:
 * one at a time); with `pauseMs`, each client waits that long after each answer.
 */
async function measure(url: string, language: Language, count: number, clients: number, label: string, options: { profile?: string; pauseMs?: number } = {}): Promise<Measurement> {
  const connections = Array.from({ length: clients }, () => httpClient(url));
  const forkMs = new Array<number>(count);
  const totalMs = new Array<number>(count);
  const roundTripMs = new Array<number>(count);
  const request = body(language);
  const templatePid = templateTree(language).template.pid;
  const templateCpu = (): number => {
    const proc = readProc(templatePid);
    if (!proc) throw new Error(`the ${language} template went away during ${label}`);
    return proc.ownSeconds + proc.reapedSeconds;
  };
  try {
    const cpu0 = process.cpuUsage();
    const template0 = templateCpu();
    const machine0 = machineBusySeconds();
    const started = performance.now();
    let next = 0;
    const work = (): Promise<unknown> =>
      Promise.all(
        connections.map(async (client) => {
          while (next < count) {
            const index = next++;
            const t0 = performance.now();
            const answer = await client.send('POST', '/v1/exec', request);
            roundTripMs[index] = performance.now() - t0;
            const fields = checked(`${label} request ${index + 1}`, answer);
            forkMs[index] = fields.fork;
            totalMs[index] = fields.total;
            if (options.pauseMs) await sleep(options.pauseMs);
          }
        }),
      );
    await (options.profile ? profiled(options.profile, work) : work());
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      forkMs,
      totalMs,
      roundTripMs,
      perSecond: count / wallSeconds,
      benchCpuMs: (cpu.user + cpu.system) / 1000 / count,
      templateCpuMs: ((templateCpu() - template0) * 1000) / count,
      machineCpuMs: ((machineBusySeconds() - machine0) * 1000) / count,
    };
  } finally {
    for (const client of connections) client.close();
  }
}

/** A warm measurement's figures, by which they are summed up over rounds. */
interface WarmFigures {
  /** One at a time, each after a pause in which the pool refills: the latency of an idle server. */
  paced: Measurement;
  seq: Measurement;
  conc: Measurement;
}

type Pool = 'python (fork)' | 'python (exec)' | 'node';
const POOLS: Pool[] = ['python (fork)', 'python (exec)', 'node'];
/** About 3× the CPU a replacement sandbox costs (a fork; a fresh interpreter). */
const PAUSE_MS: Record<Pool, number> = { 'python (fork)': 30, 'python (exec)': 120, node: 150 };
const languageOf = (pool: Pool): Language => (pool === 'node' ? 'node' : 'python');

/** One server with `pythonMode`: warm-up, memory when idle, then sequential and concurrent measurements per language. */
async function serverRound(mode: PythonMode, round: number, warm: Map<Pool, WarmFigures[]>, memory: Map<Pool, Memory[]>): Promise<void> {
  const server = await benchServer({
    exec: { enabled: true, pythonMode: mode, spares: SPARES, maxRunning: MAX_RUNNING },
  });
  try {
    await poolsReady(server.url, server.core.config.dataDir, mode);
    const languages: Language[] = mode === 'fork' ? ['python', 'node'] : ['python'];
    for (const language of languages) {
      await measure(server.url, language, WARMUP, 1, `${language} warm-up`);
      await measure(server.url, language, WARMUP, CLIENTS, `${language} warm-up`);
    }
    for (const language of languages) {
      const pool: Pool = language === 'node' ? 'node' : `python (${mode})`;
      await poolFull(language, SPARES[language]);
      memory.get(pool)!.push(measureMemory(language));
    }
    const profile = round === ROUNDS && process.env.BENCH_PROFILE_DIR !== undefined;
    for (const language of languages) {
      const pool: Pool = language === 'node' ? 'node' : `python (${mode})`;
      const slug = pool.replace(/[^a-z]+/g, '-').replace(/-$/, '');
      await poolFull(language, SPARES[language]);
      const paced = await measure(server.url, language, PACED_REQUESTS, 1, `${pool} paced`, { pauseMs: PAUSE_MS[pool] });
      await poolFull(language, SPARES[language]);
      const seq = await measure(server.url, language, REQUESTS, 1, `${pool} sequential`, { profile: profile ? `exec-${slug}-seq` : undefined });
      await poolFull(language, SPARES[language]);
      const conc = await measure(server.url, language, REQUESTS, CLIENTS, `${pool} ${CLIENTS} clients`, { profile: profile ? `exec-${slug}-conc` : undefined });
      const figures = { paced, seq, conc };
      warm.get(pool)!.push(figures);
      console.log(`    ${pool.padEnd(14)} ${warmLine(figures)}`);
      console.log(`    ${''.padEnd(14)} CPU per request, ms: ${cpuText('sequential', seq)}; ${cpuText(`${CLIENTS} clients`, conc)}`);
    }
  } finally {
    await server.cleanup();
  }
}

/**
 * Waits until /v1/health says every template is ready. A template can be found
 * not ready just after the server started (see the note printed then); the
 * benchmark measures a ready pool.
 */
async function poolsReady(url: string, dataDir: string, mode: PythonMode): Promise<void> {
  const client = httpClient(url);
  const started = performance.now();
  let first: string | undefined;
  try {
    for (;;) {
      const health = JSON.parse((await client.send('GET', '/v1/health')).text) as { status: string; templates: Record<string, { ready: boolean; problem?: string }> };
      if (health.status === 'ok') break;
      first ??= Object.entries(health.templates)
        .filter(([, t]) => !t.ready)
        .map(([language, t]) => `${language}: ${t.problem ?? 'not ready'}`)
        .join('; ')
        .replaceAll(dataDir, '<dataDir>');
      if (performance.now() - started > 30_000) throw new Error(`the exec pools did not get ready: ${first}`);
      await sleep(50);
    }
  } finally {
    client.close();
  }
  if (first !== undefined) console.log(`    note (pythonMode ${mode}): a template was not ready when the server had started (${first}); ready ${fmt((performance.now() - started) / 1000, 2)} s later`);
}

// ---------------------------------------------------------------- cold: a sandbox started per run

interface ColdSetup {
  host: SandboxHost;
  torkDir: string;
  interpreters: Record<Language, string>;
}

function firstExecutable(paths: string[]): string | undefined {
  return paths.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The interpreters the warm pools use (see src/runtime/warm/warm-pools.ts), resolved the same way. */
function interpreters(): Record<Language, string> {
  const python = firstExecutable(['/usr/bin/python3', '/usr/local/bin/python3']);
  const own = realpathSync(process.execPath);
  const node = own.startsWith('/usr/') ? own : firstExecutable(['/usr/bin/node', '/usr/local/bin/node']);
  if (!python || !node) throw new Error('python3 and node are needed');
  return { python: realpathSync(python), node: realpathSync(node) };
}

/** The sandbox the warm template gets (warm-template.ts `spec()`), running the interpreter on the snippet instead. */
function coldSpec(setup: ColdSetup, language: Language): SandboxSpec {
  const interpreter = setup.interpreters[language];
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? { uid: NOBODY, gid: NOBODY } : undefined;
  const extra = interpreter.startsWith('/usr/') ? [] : [dirname(dirname(interpreter))];
  return {
    torkDir: setup.torkDir,
    root: setup.host.userland,
    binds: extra.map((dir) => ({ source: dir, target: dir, readOnly: true })),
    tmpfs: [],
    tmpfsBytes: 64 * 1024 * 1024,
    network: false,
    workdir: '/tmp',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp', TMPDIR: '/tmp' },
    argv: language === 'python' ? [interpreter, '-I', '-c', SNIPPETS.python] : [interpreter, '-e', SNIPPETS.node],
    runAs,
    innerIds: runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    cgroupProcs: [],
  };
}

function runCold(setup: ColdSetup, language: Language, index: number): Promise<number> {
  const invocation = buildSandboxInvocation(setup.host, coldSpec(setup, language));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(invocation.file, invocation.args, { env: invocation.env, cwd: invocation.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    // 'close': the process has exited and its output is read.
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0 || stdout !== EXPECTED_STDOUT) {
        reject(new Error(`WRONG ANSWER (cold ${language} run ${index + 1}): exit ${code ?? signal}, stdout ${JSON.stringify(stdout)}, stderr ${stderr.slice(0, 500)}`));
      } else {
        resolve(ms);
      }
    });
  });
}

/**
 * `count` runs one at a time: their times, and the machine's CPU ms per run (the
 * sandboxes' own CPU cannot be read here: bubblewrap's outer process exits
 * without reaping the sandbox's pid 1, so their time never reaches this
 * process's children's total).
 */
async function coldRuns(setup: ColdSetup, language: Language, count: number): Promise<{ times: number[]; machineCpuMs: number }> {
  const times: number[] = [];
  const machine0 = machineBusySeconds();
  for (let i = 0; i < count; i++) times.push(await runCold(setup, language, i));
  return { times, machineCpuMs: ((machineBusySeconds() - machine0) * 1000) / count };
}

// ---------------------------------------------------------------- output

const ms = (value: number): string => (value < 10 ? fmt(value, 2) : value < 100 ? fmt(value, 1) : fmt(value, 0));
const pp = (values: number[]): string => `${ms(median(values))}/${ms(percentile(values, 99))}`;

function warmLine({ paced, seq, conc }: WarmFigures): string {
  return (
    `paced: total ${pp(paced.totalMs)} ms, round trip ${pp(paced.roundTripMs)} ms | sequential: fork ${pp(seq.forkMs)} ms, total ${pp(seq.totalMs)} ms, round trip ${pp(seq.roundTripMs)} ms, ${fmt(seq.perSecond, 0)}/s` +
    ` | ${CLIENTS} clients: ${fmt(conc.perSecond, 0)}/s, fork ${pp(conc.forkMs)} ms, total ${pp(conc.totalMs)} ms, round trip ${pp(conc.roundTripMs)} ms`
  );
}

const cpuText = (label: string, m: Measurement): string =>
  `${label} server process ${fmt(m.benchCpuMs, 2)}, template and its sandboxes ${fmt(m.templateCpuMs, 2)}, machine ${fmt(m.machineCpuMs, 2)}`;

const kb = (value: number): string => (value >= 10_240 ? `${fmt(value / 1024, 1)} MiB` : `${fmt(value, 0)} KiB`);

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

// ---------------------------------------------------------------- main

const config = loadConfig({ env: {}, flags: {} });
const isRoot = process.getuid?.() === 0;
const host = detectSandboxHost('bwrap', { dropPrivileges: isRoot, searchPath: config.toolSearchPath });
if ('error' in host) throw new Error(host.error);
const torkDir = mkdtempSync(join(tmpdir(), 'gantry-bench-exec-'));
const setup: ColdSetup = { host, torkDir, interpreters: interpreters() };
try {
  const versions = {
    python: await new Promise<string>((resolve) => {
      const child = spawn(setup.interpreters.python, ['-c', 'import platform; print(platform.python_version())'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
      child.on('close', () => resolve(out.trim()));
    }),
    node: process.version,
  };
  console.log(
    `exec: POST /v1/exec (Zeroboot) of python ${JSON.stringify(SNIPPETS.python)} and node ${JSON.stringify(SNIPPETS.node)}, timeout_seconds ${TIMEOUT_SECONDS}; ` +
      `${REQUESTS} requests per measurement, one at a time on one keep-alive connection and ${CLIENTS} at once; ${ROUNDS} round(s); warm-up ${WARMUP} + ${WARMUP} (${CLIENTS} at once) per pool per server`,
  );
  console.log(
    `settings: exec.spares {python: ${SPARES.python}, node: ${SPARES.node}}, exec.maxRunning ${MAX_RUNNING}, the other exec settings at their defaults (memoryMb 256, tmpMb 64, queueLength 256); ` +
      `python ${versions.python}, node ${versions.node}; sandbox ${host.tool}${isRoot ? ', as the unprivileged task user (uid 65534): Gantry runs as root' : ''}`,
  );
  console.log(
    `servers: one with exec.pythonMode 'fork' (python and node measured), one with 'exec' (python measured); SQLite, loopback, no keys file. ` +
      `${CLIENTS} clients: ${CLIENTS} loops in the benchmark process (which is also the server's), each with its own keep-alive connection (node:http), so every answer's fields are read and checked`,
  );
  console.log(
    `cold: ${COLD_RUNS} runs per language per round, one at a time, spawn → exit (output read): setpriv → bwrap (the warm template's sandbox: host /usr read-only, own namespaces, no network, private /tmp) → ` +
      `python3 -I -c / node -e; no cgroups and no rlimits (the warm sandboxes have both: the cold path is the cheaper one)`,
  );
  console.log(
    `paced (besides): ${PACED_REQUESTS} requests one at a time, each after a pause in which the pool replaces the sandbox used, so each finds an idle machine; sequential requests follow each other at once, and each runs while the sandbox before it is replaced`,
  );
  console.log(
    "fork_time_ms is Gantry's: from the template receiving the snippet to a prepared sandbox having it (the sandbox was forked ahead of demand; waiting for one when none is left counts here)",
  );
  console.log(
    'per round: p50/p99 in ms; CPU per request: the server process (this one, with the client loops), the template with the sandboxes it reaped, the whole machine (everything on it)',
  );

  const warm = new Map<Pool, WarmFigures[]>(POOLS.map((pool) => [pool, []]));
  const memory = new Map<Pool, Memory[]>(POOLS.map((pool) => [pool, []]));
  const cold: Record<Language, number[][]> = { python: [], node: [] };

  // A short cold warm-up (page cache, the sandbox tools).
  await coldRuns(setup, 'python', 10);
  await coldRuns(setup, 'node', 10);

  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`  round ${round}:`);
    const steps: Array<() => Promise<void>> = [
      () => serverRound('fork', round, warm, memory),
      () => serverRound('exec', round, warm, memory),
      async () => {
        for (const language of ['python', 'node'] as const) {
          const { times, machineCpuMs } = await coldRuns(setup, language, COLD_RUNS);
          cold[language].push(times);
          console.log(
            `    cold ${language.padEnd(9)} spawn → exit p50/p99 ${pp(times)} ms, ${fmt(1000 / (times.reduce((a, b) => a + b, 0) / times.length), 0)}/s; ` +
              `CPU per run: machine ${fmt(machineCpuMs, 2)} ms`,
          );
        }
      },
    ];
    // Alternate the order so drift on a noisy machine hits all alike.
    for (const step of round % 2 === 1 ? steps : [...steps].reverse()) await step();
  }

  // ------------------------------------------------ summary
  const of = (values: number[]): number => median(values);
  const byRound = (pool: Pool, pick: (f: WarmFigures) => number): number => of(warm.get(pool)!.map(pick));
  const coldP50 = (language: Language): number => of(cold[language].map((times) => median(times)));
  const coldP99 = (language: Language): number => of(cold[language].map((times) => percentile(times, 99)));
  const p50 = (values: number[]): number => median(values);
  const p99 = (values: number[]): number => percentile(values, 99);
  const pair = (pool: Pool, pick: (f: WarmFigures) => number[]): string =>
    `${ms(byRound(pool, (f) => p50(pick(f))))}/${ms(byRound(pool, (f) => p99(pick(f))))}`.padStart(12);

  console.log(`\nsummary (median of ${ROUNDS} round(s)); p50/p99 in ms`);
  console.log(
    `${'pool'.padEnd(14)}|${'sequential: fork'.padStart(17)} ${'total'.padStart(12)} ${'round trip'.padStart(12)} ${'req/s'.padStart(6)} |${`${CLIENTS} clients: req/s`.padStart(18)} ${'fork'.padStart(12)} ${'total'.padStart(12)} ${'round trip'.padStart(12)}`,
  );
  for (const pool of POOLS) {
    console.log(
      `${pool.padEnd(14)}|${pair(pool, (f) => f.seq.forkMs).padStart(17)} ${pair(pool, (f) => f.seq.totalMs)} ${pair(pool, (f) => f.seq.roundTripMs)} ${fmt(byRound(pool, (f) => f.seq.perSecond), 0).padStart(6)} |` +
        `${fmt(byRound(pool, (f) => f.conc.perSecond), 0).padStart(18)} ${pair(pool, (f) => f.conc.forkMs)} ${pair(pool, (f) => f.conc.totalMs)} ${pair(pool, (f) => f.conc.roundTripMs)}`,
    );
  }
  console.log(`paced: one at a time, after each answer a pause for the pool to replace the sandbox used (${POOLS.map((p) => `${p} ${PAUSE_MS[p]} ms`).join(', ')}), ${PACED_REQUESTS} requests`);
  for (const pool of POOLS) {
    console.log(
      `${pool.padEnd(14)}| total ${pair(pool, (f) => f.paced.totalMs).trim()}, round trip ${pair(pool, (f) => f.paced.roundTripMs).trim()} ms; ` +
        `CPU per snippet, ms: server process ${fmt(byRound(pool, (f) => f.paced.benchCpuMs), 2)}, template and its sandboxes ${fmt(byRound(pool, (f) => f.paced.templateCpuMs), 2)}`,
    );
  }
  for (const language of ['python', 'node'] as const) {
    console.log(`cold ${language.padEnd(9)}| spawn → exit ${ms(coldP50(language))}/${ms(coldP99(language))} ms (${COLD_RUNS} runs per round; rounds' p50: ${cold[language].map((t) => ms(median(t))).join(', ')})`);
  }

  console.log('warm / cold (p50 over p50, per round in brackets):');
  const ratios = (pool: Pool, pick: (f: WarmFigures) => number[]): number[] =>
    warm.get(pool)!.map((f, i) => median(pick(f)) / median(cold[languageOf(pool)][i]!));
  for (const pool of POOLS) {
    const total = ratios(pool, (f) => f.seq.totalMs);
    const trip = ratios(pool, (f) => f.seq.roundTripMs);
    const paced = ratios(pool, (f) => f.paced.totalMs);
    const list = (values: number[]): string => `${fmt(of(values), 3)} (${values.map((r) => fmt(r, 3)).join(', ')})`;
    console.log(`  ${pool.padEnd(14)} sequential: server total ${list(total)}, client round trip ${list(trip)}; paced: server total ${list(paced)}`);
  }

  console.log(
    `memory per idle warm sandbox: PSS (smaps_rollup) of the template's process tree (its 2 bubblewrap processes, the template, the waiting sandboxes) ÷ waiting sandboxes, with the server idle after its warm-up and the pool full; ` +
      'beside it, the median private memory (Private_Clean + Private_Dirty) of one waiting sandbox, what one more costs (kernel memory: page tables, namespaces, pipes, not counted)',
  );
  for (const pool of POOLS) {
    const rounds = memory.get(pool)!;
    const perSandbox = rounds.map((m) => m.treePss / m.sandboxes);
    console.log(
      `  ${pool.padEnd(14)} ${kb(of(perSandbox))} per sandbox (rounds ${perSandbox.map(kb).join(', ')}); tree PSS ${kb(of(rounds.map((m) => m.treePss)))} (RSS ${kb(of(rounds.map((m) => m.treeRss)))}) for ${rounds[0]?.sandboxes} sandboxes, ` +
        `of which template + bubblewrap ${kb(of(rounds.map((m) => m.templatePss)))}; one sandbox: private ${kb(of(rounds.map((m) => median(m.sandboxPrivate))))}, PSS ${kb(of(rounds.map((m) => median(m.sandboxPss))))}`,
    );
  }

  const forkP50 = byRound('python (fork)', (f) => p50(f.seq.forkMs));
  const totalP50 = byRound('python (fork)', (f) => p50(f.seq.totalMs));
  const ratio = of(ratios('python (fork)', (f) => f.seq.totalMs));
  console.log('targets (python: the fork pool):');
  console.log(`  python fork p50 ≤ 0.5 ms          ${ms(forkP50)} ms: ${verdict(forkP50 <= 0.5)}`);
  const pacedP50 = byRound('python (fork)', (f) => p50(f.paced.totalMs));
  console.log(`  python total p50 ≤ 4 ms           ${ms(totalP50)} ms: ${verdict(totalP50 <= 4)} (sequential; paced ${ms(pacedP50)} ms)`);
  for (const pool of POOLS) {
    const rate = byRound(pool, (f) => f.conc.perSecond);
    console.log(`  ≥ 200 snippets/s, ${CLIENTS} clients   ${pool}: ${fmt(rate, 0)}/s: ${verdict(rate >= 200)}`);
  }
  console.log(`  warm/cold ≤ 0.25 (total p50)      ${fmt(ratio, 3)}: ${verdict(ratio <= 0.25)} (sequential total p50 / cold p50; paced ${fmt(of(ratios('python (fork)', (f) => f.paced.totalMs)), 3)})`);
  console.log(
    'Zeroboot (published, its own machine): spawn (fork) p50 0.79 ms, p99 1.74 ms; fork + exec (python) ~8 ms; memory per sandbox ~265 KB; 1000 concurrent forks 815 ms',
  );
} finally {
  rmSync(torkDir, { recursive: true, force: true });
}
