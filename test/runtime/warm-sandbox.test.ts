/**
 * Containment and isolation of Zeroboot's /v1/exec sandboxes (src/runtime/warm):
 * hostile snippets against one real server with warm python and node pools,
 * each checked for its own answer and for the server carrying on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, request, startTestServer, type TestServer } from '../support/server.js';
import { descendantsOf, findByArgv, hostProcesses, type HostProcess } from './warm/host-processes.js';

const OUTPUT_CAP = 65_536;
const TMP_MB = 64;
const MEMORY_MB = 256;
const PIDS = 64;
const NOBODY = 65_534;
const isRoot = process.getuid?.() === 0;
/** An environment variable of the server's process that no snippet may see. */
const HOST_SECRET = 'GANTRY_WARM_SANDBOX_TEST_SECRET';

type Language = 'python' | 'node';
interface Snippet {
  code: string;
  language?: Language;
  timeout_seconds?: number;
}
interface ExecAnswer {
  id: string;
  stdout: string;
  stderr: string;
  exit_code: number;
  fork_time_ms: number;
  exec_time_ms: number;
  total_time_ms: number;
}

let t: TestServer;
let port: number;

beforeAll(async () => {
  process.env[HOST_SECRET] = 'host-only';
  t = await startTestServer('sqlite', { exec: { enabled: true, spares: { python: 4, node: 2 }, outputCapBytes: OUTPUT_CAP } });
  port = Number(new URL(t.url).port);
});

afterAll(async () => {
  delete process.env[HOST_SECRET];
  await t?.destroy();
});

/** Code from an indented template literal: the common indentation and the first blank line removed. */
function code(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

async function exec(snippet: Snippet): Promise<ExecAnswer & { wallMs: number }> {
  const started = Date.now();
  const { status, body } = await request<ExecAnswer>(`${t.url}/v1/exec`, {
    method: 'POST',
    body: JSON.stringify({ language: 'python', timeout_seconds: 5, ...snippet }),
    headers: { 'content-type': 'application/json' },
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return { ...body, wallMs: Date.now() - started };
}

async function batch(snippets: Snippet[]): Promise<{ results: ExecAnswer[]; wallMs: number }> {
  const started = Date.now();
  const { status, body } = await request<{ results: ExecAnswer[] }>(`${t.url}/v1/exec/batch`, {
    method: 'POST',
    body: JSON.stringify({ executions: snippets.map((s) => ({ language: 'python', timeout_seconds: 5, ...s })) }),
    headers: { 'content-type': 'application/json' },
  });
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.results).toHaveLength(snippets.length);
  return { results: body.results, wallMs: Date.now() - started };
}

const PY_OK: Snippet = { code: 'print("ok")' };
const NODE_OK: Snippet = { code: 'console.log("ok")', language: 'node' };

function expectOk(answer: ExecAnswer, what = 'a normal snippet'): void {
  expect(answer, what).toMatchObject({ stdout: 'ok\n', stderr: '', exit_code: 0 });
}

/** Health is ready for both languages, and a python and a node snippet run right now. */
async function expectServerFine(): Promise<void> {
  const health = await request<any>(`${t.url}/v1/health`);
  expect(health.status).toBe(200);
  expect(health.body.status).toBe('ok');
  expect(health.body.templates.python.ready).toBe(true);
  expect(health.body.templates.node.ready).toBe(true);
  const { results } = await batch([PY_OK, NODE_OK]);
  expectOk(results[0]!, 'python after the hostile snippet');
  expectOk(results[1]!, 'node after the hostile snippet');
}

/** The host processes of the warm templates themselves (not their forked sandboxes). */
function templateProcesses(): HostProcess[] {
  const mine = descendantsOf(process.pid);
  const isTemplate = (p: HostProcess | undefined) => p !== undefined && p.argv.includes('/tork/warm-template.py') && !p.argv.includes('--run');
  const byPid = new Map(mine.map((p) => [p.pid, p]));
  return mine.filter((p) => isTemplate(p) && !isTemplate(byPid.get(p.ppid)));
}

/** Processes of this test below it with exactly this argv (a leftover `sleep N`). */
const leftovers = (argv: string[]) => findByArgv(process.pid, argv);

async function expectGone(argv: string[]): Promise<void> {
  await eventually(async () => (leftovers(argv).length === 0 ? true : undefined), 3_000, `${argv.join(' ')} to be gone`);
  expect(leftovers(argv)).toEqual([]);
}

describe('hostile snippets are contained and the server carries on', () => {
  it('fork bombs: answered, held to the pids limit per sandbox, a neighbour can still fork', async () => {
    const bomb: Snippet = { code: 'import os\nwhile True: os.fork()', timeout_seconds: 3 };
    // Forks until refused, keeps its children alive for a while, says how many it got.
    const holder: Snippet = {
      code: code(`
        import os, time
        n = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                n += 1
        except OSError as e:
            print(n, e.errno, flush=True)
        time.sleep(1.5)
      `),
      timeout_seconds: 4,
    };
    // Runs beside the holder (which holds its whole pids limit) and forks too.
    const neighbour: Snippet = {
      code: code(`
        import subprocess, time
        time.sleep(0.7)
        print(subprocess.run(["echo", "forked"], capture_output=True, text=True).stdout, end="")
      `),
    };
    const nodeBomb: Snippet = {
      language: 'node',
      timeout_seconds: 4,
      code: code(`
        const cp = require('child_process');
        let n = 0;
        const go = () => {
          const child = cp.spawn('sleep', ['5']);
          child.on('error', (e) => { console.log(n, e.code); process.exit(3); });
          child.on('spawn', () => { n++; go(); });
        };
        go();
      `),
    };
    const { results, wallMs } = await batch([bomb, holder, neighbour, nodeBomb, PY_OK]);
    const [bombed, held, beside, nodeBombed, ok] = results as [ExecAnswer, ExecAnswer, ExecAnswer, ExecAnswer, ExecAnswer];
    expect(bombed.exit_code, bombed.stderr.slice(0, 500)).not.toBe(0);
    expect(bombed.stderr).toMatch(/Resource temporarily unavailable|output truncated|timed out/);
    const [forks, errno] = held.stdout.trim().split(' ').map(Number);
    expect(errno, held.stdout + held.stderr).toBe(11); // EAGAIN
    expect(forks).toBeGreaterThan(10);
    expect(forks).toBeLessThan(PIDS);
    expect(held.exit_code).toBe(0);
    expect(beside).toMatchObject({ stdout: 'forked\n', exit_code: 0 });
    const [nodeForks, nodeError] = nodeBombed.stdout.trim().split(' ');
    expect(nodeBombed.exit_code, nodeBombed.stdout + nodeBombed.stderr).toBe(3);
    expect(nodeError).toBe('EAGAIN');
    expect(Number(nodeForks)).toBeLessThan(PIDS);
    expectOk(ok);
    expect(wallMs).toBeLessThan(8_000);
    // Nothing of the bombs is left on the host.
    await expectGone(['sleep', '5']);
    await expectServerFine();
  });

  it('memory bombs: stopped at the memory limit, a neighbour unharmed', async () => {
    const python: Snippet = {
      code: code(`
        chunks = []
        try:
            while True:
                chunks.append(bytearray(16 * 1024 * 1024))
        except MemoryError:
            print(len(chunks), flush=True)
            raise
      `),
    };
    const node: Snippet = { language: 'node', code: 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024));' };
    const { results, wallMs } = await batch([python, node, PY_OK]);
    const [py, js, ok] = results as [ExecAnswer, ExecAnswer, ExecAnswer];
    expect(py.exit_code).toBe(1);
    expect(py.stderr).toContain('MemoryError');
    const chunks = Number(py.stdout.trim());
    expect(chunks).toBeGreaterThan(0);
    expect(chunks * 16).toBeLessThanOrEqual(MEMORY_MB);
    // Node cannot catch running out under RLIMIT_DATA: it dies (an OOM abort or a fault), answered as a failure.
    expect(js.exit_code, js.stderr.slice(-500)).not.toBe(0);
    expectOk(ok);
    expect(wallMs).toBeLessThan(5_000);
    await expectServerFine();
  });

  // The memory limit holds for the sandbox as a whole (its own memory cgroup), not
  // only per process: four processes of 200 MiB each do not all get theirs.
  it.skipIf(!isRoot)('memory bombs in several processes: held to the sandbox\'s limit together', async () => {
    const { results } = await batch([
      {
        code: code(`
          import os, time
          kids = []
          for i in range(4):
              pid = os.fork()
              if pid == 0:
                  block = bytearray(200 * 1024 * 1024)
                  for j in range(0, len(block), 4096):
                      block[j] = 1
                  time.sleep(1)
                  os._exit(0)
              kids.append(pid)
          print(sum(1 for pid in kids if os.waitpid(pid, 0)[1] != 0))
        `),
        timeout_seconds: 20,
      },
      PY_OK,
    ]);
    const [bomb, ok] = results as [ExecAnswer, ExecAnswer];
    expect(bomb.exit_code, bomb.stderr).toBe(0);
    // 800 MiB wanted, 256 MiB allowed: at least two of the four are killed.
    expect(Number(bomb.stdout.trim())).toBeGreaterThanOrEqual(2);
    expectOk(ok);
    await expectServerFine();
  });

  it('infinite loops: -1 and "Execution timed out after 1s" within ~3 s', async () => {
    const { results, wallMs } = await batch([
      { code: 'while True: pass', timeout_seconds: 1 },
      { code: 'for (;;) {}', language: 'node', timeout_seconds: 1 },
      PY_OK,
    ]);
    for (const looped of results.slice(0, 2)) {
      expect(looped).toMatchObject({ exit_code: -1, stdout: '', stderr: 'Execution timed out after 1s' });
    }
    expectOk(results[2]!);
    expect(wallMs).toBeLessThan(3_000);
    await expectServerFine();
  });

  it('100 MB of output: truncated at the cap, stopped (-1), answered quickly', async () => {
    const { results, wallMs } = await batch([
      { code: 'import sys\nsys.stdout.write("x" * (100*1024*1024))', timeout_seconds: 10 },
      { code: 'while True: print("y" * 100)', timeout_seconds: 10 },
      { code: 'const s = "x".repeat(1 << 20); for (let i = 0; i < 100; i++) process.stdout.write(s);', language: 'node', timeout_seconds: 10 },
      { code: 'const s = "e".repeat(1 << 20); for (let i = 0; i < 100; i++) process.stderr.write(s);', language: 'node', timeout_seconds: 10 },
      PY_OK,
    ]);
    const marker = `[gantry: output truncated at ${OUTPUT_CAP} bytes; the snippet was stopped]`;
    for (const flood of results.slice(0, 4)) {
      expect(flood.exit_code, flood.stderr.slice(-300)).toBe(-1);
      expect(flood.stderr).toContain(marker);
      expect(flood.stdout.length).toBeLessThanOrEqual(OUTPUT_CAP);
      // What is kept is the cap's worth (stdout and stderr together), never more.
      expect(flood.stdout.length + flood.stderr.length - marker.length - 1).toBeLessThanOrEqual(OUTPUT_CAP + 1);
    }
    expect(results[0]!.stdout).toMatch(/^x+$/);
    expect(results[0]!.stdout.length).toBeGreaterThan(OUTPUT_CAP / 2);
    expect(results[2]!.stdout).toMatch(/^x+$/);
    expect(results[3]!.stderr.startsWith('eeee')).toBe(true);
    expectOk(results[4]!);
    expect(wallMs).toBeLessThan(5_000);
    await expectServerFine();
  });

  it('host secrets: /etc/shadow, the data directory, the SQLite file and the checkout are not there', async () => {
    const dataDir = t.database.dataDir;
    const sqlite = join(dataDir, 'gantry.db');
    // The paths are real on the host: their absence inside means something.
    expect(existsSync(sqlite)).toBe(true);
    expect(existsSync('/etc/shadow')).toBe(true);
    const paths = ['/etc/shadow', dataDir, sqlite, process.cwd(), join(process.cwd(), 'package.json'), '/root'];
    const python: Snippet = {
      code: code(`
        import json
        out = {}
        for p in ${JSON.stringify(paths)}:
            try:
                with open(p, "rb") as f:
                    out[p] = "read %d bytes" % len(f.read())
            except OSError as e:
                out[p] = e.errno
        print(json.dumps(out))
      `),
    };
    const node: Snippet = {
      language: 'node',
      code: code(`
        const fs = require('fs');
        const out = {};
        for (const p of ${JSON.stringify(paths)}) {
          try { out[p] = 'read ' + fs.readFileSync(p).length + ' bytes'; } catch (e) { out[p] = e.code; }
        }
        console.log(JSON.stringify(out));
      `),
    };
    const { results } = await batch([python, node]);
    const py = JSON.parse(results[0]!.stdout) as Record<string, unknown>;
    const js = JSON.parse(results[1]!.stdout) as Record<string, unknown>;
    for (const p of paths) {
      // ENOENT (not there) or EACCES: never read.
      expect([2, 13], `python reading ${p}`).toContain(py[p]);
      expect(['ENOENT', 'EACCES'], `node reading ${p}`).toContain(js[p]);
    }
    // The data directory and the SQLite file are not even present.
    expect(py[dataDir]).toBe(2);
    expect(py[sqlite]).toBe(2);
    await expectServerFine();
  });

  it('sockets to the server and to outside addresses fail (no network), python and node', async () => {
    const targets: Array<[string, number]> = [
      ['127.0.0.1', port],
      ['1.1.1.1', 80],
      ['8.8.8.8', 53],
    ];
    const python: Snippet = {
      code: code(`
        import json, socket
        out = []
        for host, port in ${JSON.stringify(targets)}:
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect((host, port))
                out.append("connected")
            except OSError as e:
                out.append(e.errno)
        print(json.dumps(out))
      `),
    };
    const node: Snippet = {
      language: 'node',
      code: code(`
        const net = require('net');
        const one = ([host, port]) => new Promise((resolve) => {
          const s = net.connect({ host, port, timeout: 2000 });
          s.on('connect', () => { s.destroy(); resolve('connected'); });
          s.on('timeout', () => { s.destroy(); resolve('timeout'); });
          s.on('error', (e) => resolve(e.code));
        });
        Promise.all(${JSON.stringify(targets)}.map(one)).then((out) => console.log(JSON.stringify(out)));
      `),
    };
    const { results, wallMs } = await batch([python, node]);
    expect(JSON.parse(results[0]!.stdout)).toEqual([101, 101, 101]); // ENETUNREACH
    expect(JSON.parse(results[1]!.stdout)).toEqual(['ENETUNREACH', 'ENETUNREACH', 'ENETUNREACH']);
    expect(wallMs).toBeLessThan(4_000);
    await expectServerFine();
  });

  it('killing its parent, its group, everything: the server and its templates carry on', async () => {
    const templatesBefore = templateProcesses().map((p) => p.pid).sort();
    expect(templatesBefore).toHaveLength(2);
    const { results } = await batch([
      { code: 'import os\nprint(os.getppid(), flush=True)\nos.kill(os.getppid(), 9)\nprint("still here")' },
      { code: 'import os\nos.kill(0, 9)\nprint("still here")' },
      { code: 'import os\nos.kill(-1, 9)\nprint("still here")' },
      {
        // Every pid there could be in its namespace: none but itself exists.
        code: code(`
          import os
          hit = []
          for pid in range(1, 40000):
              try:
                  os.kill(pid, 9)
                  hit.append(pid)
              except OSError:
                  pass
          print(hit)
        `),
      },
      { language: 'node', code: 'console.log(process.ppid); try { process.kill(-1, "SIGKILL"); } catch (e) { console.log(e.code); }' },
      { language: 'node', code: 'process.kill(0, "SIGKILL"); console.log("still here");' },
      PY_OK,
    ]);
    const [parent, group, all, everyPid, nodeAll, nodeGroup, ok] = results as ExecAnswer[];
    // Its parent is outside its pid namespace: pid 0, which is its own group; pid 1 shrugs SIGKILL from inside.
    expect(parent!.stdout).toBe('0\nstill here\n');
    // Its group is itself: it survives (pid 1 of its namespace) or is killed alone, and answered either way.
    const survivedOrKilled = /^still here\n$|^$/;
    expect(group!.stdout).toMatch(survivedOrKilled);
    expect(group!.exit_code === 0 || (group!.exit_code === -1 && group!.stderr.includes('killed by signal 9'))).toBe(true);
    expect(all!.stderr).toContain('ProcessLookupError'); // nothing else to kill
    expect(everyPid!.stdout).toBe('[1]\n');
    expect(nodeAll!.stdout).toBe('0\nESRCH\n');
    expect(nodeGroup!.stdout).toMatch(survivedOrKilled);
    expect(nodeGroup!.exit_code === 0 || (nodeGroup!.exit_code === -1 && nodeGroup!.stderr.includes('killed by signal 9'))).toBe(true);
    expectOk(ok!);
    await expectServerFine();
    // The very same templates: none of them was killed and restarted.
    expect(templateProcesses().map((p) => p.pid).sort()).toEqual(templatesBefore);
  });

  it('writing outside /tmp fails; /tmp holds no more than its 64 MiB', async () => {
    const outside = ['/usr/x', '/home/x', '/x', '/etc/x', '/tork/x', '/proc/x', '/usr/bin/python3'];
    const python: Snippet = {
      code: code(`
        import json, os
        out = {}
        for p in ${JSON.stringify(outside)} + [os.path.join(os.path.dirname(os.getcwd()), "cwd-parent")]:
            try:
                with open(p, "ab") as f:
                    f.write(b"x")
                out[p] = "written"
            except OSError as e:
                out[p] = e.errno
        print(json.dumps(out))
      `),
    };
    const node: Snippet = {
      language: 'node',
      code: code(`
        const fs = require('fs');
        const out = {};
        for (const p of ${JSON.stringify(outside)}) {
          try { fs.appendFileSync(p, 'x'); out[p] = 'written'; } catch (e) { out[p] = e.code; }
        }
        console.log(JSON.stringify(out));
      `),
    };
    const oneBigFile: Snippet = {
      code: code(`
        written = 0
        try:
            with open("/tmp/big", "wb") as f:
                for i in range(${TMP_MB + 16}):
                    f.write(b"z" * (1024 * 1024))
                    f.flush()
                    written += 1
        except OSError as e:
            print(written, e.errno)
      `),
    };
    const manyFiles: Snippet = {
      code: code(`
        written = 0
        try:
            for n in range(4):
                with open("/tmp/part%d" % n, "wb") as f:
                    for i in range(24):
                        f.write(b"z" * (1024 * 1024))
                        f.flush()
                        written += 1
        except OSError as e:
            print(written, e.errno)
      `),
    };
    const { results } = await batch([python, node, oneBigFile, manyFiles, PY_OK]);
    const py = JSON.parse(results[0]!.stdout) as Record<string, unknown>;
    const js = JSON.parse(results[1]!.stdout) as Record<string, unknown>;
    expect(Object.keys(py)).toHaveLength(outside.length + 1);
    for (const [p, result] of Object.entries(py)) expect([2, 13, 30], `python writing ${p}`).toContain(result); // ENOENT, EACCES, EROFS
    for (const p of outside) expect(['ENOENT', 'EACCES', 'EROFS'], `node writing ${p}`).toContain(js[p]);
    expect(py['/usr/x']).toBe(30);
    expect(js['/usr/x']).toBe('EROFS');
    const [bigMb, bigErrno] = results[2]!.stdout.trim().split(' ').map(Number);
    expect([27, 28], results[2]!.stdout + results[2]!.stderr).toContain(bigErrno); // EFBIG, ENOSPC
    expect(bigMb).toBeLessThanOrEqual(TMP_MB);
    const [manyMb, manyErrno] = results[3]!.stdout.trim().split(' ').map(Number);
    expect(manyErrno, results[3]!.stdout + results[3]!.stderr).toBe(28); // ENOSPC
    expect(manyMb).toBeLessThanOrEqual(TMP_MB);
    expect(manyMb).toBeGreaterThan(TMP_MB / 2);
    expectOk(results[4]!);
    await expectServerFine();
  });

  it('background processes left behind are gone when the snippet ends', async () => {
    // While the snippet runs, the host sees its sleep (so the check below can see one)...
    const running = exec({
      code: code(`
        import subprocess, time
        subprocess.Popen(["sleep", "31337"])
        time.sleep(1.5)
        print("done")
      `),
    });
    const seen = await eventually(async () => (leftovers(['sleep', '31337']).length > 0 ? leftovers(['sleep', '31337']) : undefined), 3_000, 'the sandbox sleep');
    expect(seen[0]!.uids[0]).toBe(isRoot ? NOBODY : process.getuid!());
    expect((await running).stdout).toBe('done\n');
    // ...and not once it has answered; nor the ones that were left at once, detached or daemonised.
    const { results } = await batch([
      { code: 'import subprocess\nsubprocess.Popen(["sleep", "31338"])\nprint("left")' },
      { code: 'import subprocess\nsubprocess.Popen(["sh", "-c", "sleep 31339 &"], start_new_session=True)\nprint("left")' },
      {
        code: code(`
          import os, time
          if os.fork() == 0:
              os.setsid()
              if os.fork() == 0:
                  os.execvp("sleep", ["sleep", "31340"])
              os._exit(0)
          time.sleep(0.2)
          print("left")
        `),
      },
      { language: 'node', code: 'require("child_process").spawn("sleep", ["31341"], { detached: true, stdio: "ignore" }).unref(); console.log("left");' },
    ]);
    for (const left of results) expect(left).toMatchObject({ stdout: 'left\n', exit_code: 0 });
    for (const n of ['31337', '31338', '31339', '31340', '31341']) await expectGone(['sleep', n]);
    // No uid-65534 `sleep 3133x` anywhere on the host either.
    const anywhere = hostProcesses().filter((p) => p.argv[0] === 'sleep' && /^3133\d|^3134\d/.test(p.argv[1] ?? '') && p.uids[0] === NOBODY);
    expect(anywhere).toEqual([]);
    await expectServerFine();
  });
});

describe('snippets are isolated from each other', () => {
  it('each /tmp is private and fresh', async () => {
    const writer: Snippet = {
      code: code(`
        import os, time
        print(os.listdir("/tmp"))
        with open("/tmp/secret", "w") as f:
            f.write("s3cret")
        time.sleep(1.2)
        print(open("/tmp/secret").read())
      `),
    };
    const peek = 'import os, time\ntime.sleep(0.4)\nprint(os.path.exists("/tmp/secret"), os.listdir("/tmp"))';
    const { results } = await batch([writer, { code: peek }, { language: 'node', code: 'setTimeout(() => console.log(require("fs").readdirSync("/tmp")), 400)' }]);
    expect(results[0]!.stdout).toBe('[]\ns3cret\n');
    expect(results[1]!.stdout).toBe('False []\n');
    expect(results[2]!.stdout).toBe('[]\n');
    // And after it ended.
    const after = await exec({ code: 'import os\nprint(os.path.exists("/tmp/secret"), os.listdir("/tmp"))' });
    expect(after.stdout).toBe('False []\n');
  });

  it('random: no two sandboxes share the interpreter\'s random state', async () => {
    const { results } = await batch(Array.from({ length: 4 }, () => ({ code: 'import random\nprint(random.random())' })));
    const values = results.map((answer) => answer.stdout);
    for (const answer of results) expect(answer.exit_code, answer.stderr).toBe(0);
    expect(new Set(values).size).toBe(values.length);
  });

  it('environment: nothing carries over, no GANTRY_* and no host PATH', async () => {
    const first = await exec({ code: 'import os\nos.environ["X"] = "1"\nos.putenv("Y", "2")\nprint(os.environ["X"])' });
    expect(first.stdout).toBe('1\n');
    const { results } = await batch([
      { code: 'import json, os\nprint(json.dumps(dict(os.environ)))' },
      { language: 'node', code: 'console.log(JSON.stringify(process.env))' },
    ]);
    expect(process.env[HOST_SECRET]).toBe('host-only');
    for (const answer of results) {
      const env = JSON.parse(answer.stdout) as Record<string, string>;
      expect(env.X).toBeUndefined();
      expect(env.Y).toBeUndefined();
      expect(Object.keys(env).filter((k) => k.startsWith('GANTRY'))).toEqual([]);
      expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TMPDIR']);
      for (const entry of env.PATH!.split(':')) expect(['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']).toContain(entry);
      expect(env.HOME).toBe('/tmp');
    }
  });

  it('processes: a snippet sees only itself and its children, never another sandbox', async () => {
    const listing = 'sorted((int(p), open("/proc/%s/cmdline" % p, "rb").read().replace(b"\\0", b" ").decode().strip()) for p in os.listdir("/proc") if p.isdigit())';
    const busy: Snippet = {
      code: code(`
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "31342"])
        time.sleep(0.2)
        print(${listing}, flush=True)
        time.sleep(1.3)
      `),
    };
    const looker: Snippet = { code: `import os, time\ntime.sleep(0.5)\nprint(${listing})` };
    const nodeLooker: Snippet = {
      language: 'node',
      code: 'setTimeout(() => console.log(JSON.stringify(require("fs").readdirSync("/proc").filter((p) => /^\\d+$/.test(p)))), 500)',
    };
    const { results } = await batch([busy, looker, nodeLooker]);
    // The busy one sees itself (pid 1) and its own sleep...
    expect(results[0]!.stdout, results[0]!.stderr).toMatch(/^\[\(1, '[^']*warm-template\.py[^']*'\), \(\d+, 'sleep 31342'\)\]\n$/);
    // ...the others only themselves.
    expect(results[1]!.stdout, results[1]!.stderr).toMatch(/^\[\(1, '[^']*warm-template\.py[^']*'\)\]\n$/);
    expect(results[1]!.stdout).not.toContain('sleep');
    expect(JSON.parse(results[2]!.stdout)).toEqual(['1']);
    await expectGone(['sleep', '31342']);
  });

  it('network: a listener in one sandbox cannot be reached from another', async () => {
    const listenPort = 47_123;
    const listener: Snippet = {
      code: code(`
        import socket, time
        s = socket.socket()
        s.bind(("127.0.0.1", ${listenPort}))
        s.listen()
        s.settimeout(1.5)
        print("listening", flush=True)
        try:
            s.accept()
            print("accepted")
        except socket.timeout:
            print("nobody came")
      `),
    };
    const python: Snippet = {
      code: code(`
        import socket, time
        time.sleep(0.5)
        s = socket.socket()
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", ${listenPort}))
            print("connected")
        except OSError as e:
            print(e.errno)
      `),
    };
    const node: Snippet = {
      language: 'node',
      code: code(`
        setTimeout(() => {
          const s = require('net').connect({ host: '127.0.0.1', port: ${listenPort}, timeout: 1000 });
          s.on('connect', () => { console.log('connected'); s.destroy(); });
          s.on('timeout', () => { console.log('timeout'); s.destroy(); });
          s.on('error', (e) => console.log(e.code));
        }, 500);
      `),
    };
    const { results } = await batch([listener, python, node]);
    expect(results[0]!.stdout, results[0]!.stderr).toBe('listening\nnobody came\n');
    expect(results[1]!.stdout).toBe('101\n'); // ENETUNREACH
    expect(results[2]!.stdout).toBe('ENETUNREACH\n');
  });

  it('identity: uid 1000 inside, no capabilities, no_new_privs', async () => {
    const python: Snippet = {
      code: code(`
        import os
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), status["CapEff"].strip(), status["CapPrm"].strip(), status["CapBnd"].strip(), status["NoNewPrivs"].strip())
      `),
    };
    const node: Snippet = {
      language: 'node',
      code: 'const s = require("fs").readFileSync("/proc/self/status", "utf8"); console.log(process.getuid(), process.getgid(), /CapEff:\\s*(\\w+)/.exec(s)[1], /NoNewPrivs:\\s*(\\d)/.exec(s)[1]);',
    };
    const { results } = await batch([python, node]);
    expect(results[0]!.stdout).toBe('1000 1000 1000 [] 0000000000000000 0000000000000000 0000000000000000 1\n');
    expect(results[1]!.stdout).toBe('1000 1000 0000000000000000 1\n');
  });

  it('identity on the host: sandboxes and templates run as uid 65534, not root', async ({ skip }) => {
    if (!isRoot) skip('the test does not run as root: sandboxes then run as the invoking user, and there is no uid 65534 to check');
    const sleeper = exec({
      code: code(`
        import ctypes, time
        ctypes.CDLL(None).prctl(15, b"gantry-probe", 0, 0, 0)
        time.sleep(2)
        print("slept")
      `),
    });
    const probe = await eventually(async () => descendantsOf(process.pid).find((p) => p.name === 'gantry-probe'), 4_000, 'the sleeping sandbox on the host');
    expect(probe.argv).toContain('/tork/warm-template.py');
    expect(probe.uids).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
    expect(probe.gids).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
    // Every warm process (templates, spare sandboxes, node sandboxes) likewise.
    const warm = descendantsOf(process.pid).filter((p) => p.argv.some((arg) => arg.startsWith('/tork/')));
    expect(warm.length).toBeGreaterThanOrEqual(2 + 4 + 2);
    for (const p of warm) expect(p.uids, p.argv.join(' ')).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
    expect((await sleeper).stdout).toBe('slept\n');
  });
});

describe('/dev is each sandbox\'s own', () => {
  // /dev comes from the template's bubblewrap and would be shared by all its
  // sandboxes: each sandbox makes it read-only and gets its own small /dev/shm
  // and ptys, so nothing left there reaches another snippet, no unix socket
  // there joins two sandboxes, and it holds no more than /tmp does.
  let devProbe: { writer: ExecAnswer; reader: ExecAnswer; filler: ExecAnswer; listener: ExecAnswer; talker: ExecAnswer } | undefined;
  it('probe: /dev and /dev/shm across snippets (the bugs below are judged from it)', async () => {
    const writer = await exec({
      code: code(`
        out = []
        for p in ["/dev/leak", "/dev/shm/leak"]:
            try:
                with open(p, "w") as f:
                    f.write("from an earlier snippet")
                out.append("written")
            except OSError as e:
                out.append(e.errno)
        print(out)
      `),
    });
    const reader = await exec({
      code: code(`
        import os
        found = [p for p in ["/dev/leak", "/dev/shm/leak"] if os.path.exists(p)]
        print(found)
        for p in found:
            os.unlink(p)
      `),
    });
    // Fills /dev/shm in files below the file size limit, says how many MiB it got in, cleans up.
    const filler = await exec({
      code: code(`
        import os
        written, names = 0, []
        try:
            for n in range(3):
                names.append("/dev/shm/fill%d" % n)
                with open(names[-1], "wb") as f:
                    for i in range(32):
                        f.write(b"z" * (1024 * 1024))
                        f.flush()
                        written += 1
        except OSError:
            pass
        finally:
            for name in names:
                try:
                    os.unlink(name)
                except OSError:
                    pass
        print(written)
      `),
    });
    const { results } = await batch([
      {
        code: code(`
          import os, socket
          s = socket.socket(socket.AF_UNIX)
          try:
              s.bind("/dev/shm/channel")
              s.listen()
              s.settimeout(2)
              c, _ = s.accept()
              print("received", c.recv(100).decode())
          except OSError as e:
              print("no channel", e.errno)
          finally:
              try:
                  os.unlink("/dev/shm/channel")
              except OSError:
                  pass
        `),
      },
      {
        code: code(`
          import socket, time
          time.sleep(0.5)
          s = socket.socket(socket.AF_UNIX)
          try:
              s.connect("/dev/shm/channel")
              s.sendall(b"hello from another sandbox")
              print("sent")
          except OSError as e:
              print("no channel", e.errno)
        `),
      },
    ]);
    const [listener, talker] = results as [ExecAnswer, ExecAnswer];
    for (const answer of [writer, reader, filler, listener, talker]) expect(answer.exit_code, answer.stderr).toBe(0);
    expect(writer.stdout).toMatch(/^\[(?:'written'|\d+), (?:'written'|\d+)\]\n$/);
    expect(reader.stdout).toMatch(/^\[.*\]\n$/);
    expect(filler.stdout).toMatch(/^\d+\n$/);
    expect(listener.stdout).toMatch(/^(received .*|no channel (\d+|None))\n$/);
    expect(talker.stdout).toMatch(/^(sent|no channel \d+)\n$/);
    // /dev itself is read-only; /dev/shm is writable, but the sandbox's own.
    expect(writer.stdout).toBe("[30, 'written']\n");
    devProbe = { writer, reader, filler, listener, talker };
  });

  it('a file one snippet writes in /dev/shm is not seen by the next', () => {
    expect(devProbe).toBeDefined();
    expect(devProbe!.reader.stdout).toBe('[]\n');
  });

  it('concurrent snippets cannot talk through a unix socket in /dev/shm', () => {
    expect(devProbe).toBeDefined();
    expect(devProbe!.listener.stdout).not.toContain('hello from another sandbox');
  });

  it('a snippet cannot keep more than its 64 MiB of /tmp in files in /dev/shm either', () => {
    expect(devProbe).toBeDefined();
    expect(Number(devProbe!.filler.stdout)).toBeLessThanOrEqual(TMP_MB);
  });
});
