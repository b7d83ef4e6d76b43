/**
 * Authentication: what checking a credential costs a small authenticated route.
 * One real server (SQLite, a no-op runtime: no task runs while measuring) holds
 * one completed single-task job owned by the user `bench`; the load generator
 * (its own process, keep-alive connections, 16 in flight) sends a fixed number
 * of `GET /jobs/<id>` (Tork: two point reads and rendering one job), each
 * measurement with one kind of credential:
 *
 * - auth off (the baseline): no credential, Tork's anonymous mapping to `bench`;
 * - HTTP Basic (`bench`'s password, scrypt-hashed in the store);
 * - an OAuth2 access token (Bearer);
 * - a JWT, as `Authorization: Bearer` and as `X-Auth-Token`;
 * - an API key (Bearer). The server's `auth.apiKeyRequestsPerSecond` is raised to
 *   10,000,000 so the per-key limit (default 100/s) does not cap the measurement.
 *
 * The credentials are measured in rounds (a warm-up round first), in an order
 * rotated each round, so noise hits all alike; each ratio is credential ÷ auth
 * off within the same round, and the median of those is reported (target
 * ≥ 0.9), beside the same ratio of the server's CPU per request. Before each
 * measurement one request primes the server's cache of checked credentials, so
 * a measurement pays a full check only when a cache entry expires during it, as
 * a steady client does; the scrypt calls during each Basic measurement are
 * counted and timed. The first Basic request of a credential (one scrypt) is
 * measured apart, one request at a time. */
import crypto from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { Principal } from '../src/core/identity.js';
import { verifyPassword } from '../src/services/identity/passwords.js';
import * as usersRepo from '../src/store/users-repo.js';
import { cpuMeter } from './lib/cpu.js';
import { httpClient } from './lib/http.js';
import { startLoad, type LoadResult } from './lib/load-client.js';
import { NoopRuntime } from './lib/noop-runtime.js';
import { profiled } from './lib/profiler.js';
import { benchServer, jobsEnded } from './lib/server.js';
import { fmt, median, percentile } from './lib/stats.js';

// Many short measurements rather than a few long ones: this machine's speed drifts
// by a factor of two over seconds, and a ratio is fair only between neighbours.
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const WARMUP_REQUESTS = 2_000;
const CONCURRENCY = 16;
/** First Basic requests of fresh credentials, timed one at a time. */
const FIRST_BASIC_SAMPLES = 5;
const USER = 'bench';
const PASSWORD = 'bench-password';

// Counts and times scrypt calls (password checks), benchmark-only: the store's
// hashes are checked through node:crypto's scrypt, whose ESM binding this updates.
const scryptLog = { calls: 0, inFlight: 0, mostInFlight: 0, durationsMs: [] as number[] };
const scrypt = crypto.scrypt as (...args: unknown[]) => void;
Object.assign(crypto, {
  scrypt: (...args: unknown[]) => {
    const callback = args.pop() as (...results: unknown[]) => void;
    const started = performance.now();
    scryptLog.calls++;
    scryptLog.mostInFlight = Math.max(scryptLog.mostInFlight, ++scryptLog.inFlight);
    scrypt(...args, (...results: unknown[]) => {
      scryptLog.inFlight--;
      scryptLog.durationsMs.push(performance.now() - started);
      callback(...results);
    });
  },
});
syncBuiltinESMExports();

interface Credential {
  name: string;
  headers: OutgoingHttpHeaders;
}

interface Measurement extends LoadResult {
  perSecond: number;
  /** CPU seconds of the server process per request. */
  serverCpuPerRequest: number;
  clientCpuPerRequest: number;
  scryptCalls: number;
  /** Most scrypt calls running at once, and the longest one's wall time (queued on libuv's threads). */
  scryptMostInFlight: number;
  scryptLongestMs: number;
}

const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const server = await benchServer(
  { auth: { anonymous: { tork: USER }, apiKeyRequestsPerSecond: 10_000_000 }, worker: { maxTasks: 1 } },
  new NoopRuntime(),
);
const client = httpClient(server.url);
try {
  const { identity } = server.core;
  const user = await identity.addUser({ username: USER, roles: ['user'], password: PASSWORD });
  const principal: Principal = { userId: user.id, username: user.username, roles: user.roles, projects: user.projects, via: 'basic' };
  const ended = jobsEnded(server, 1);
  const job = await server.core.jobs.submitPipeline({ name: 'auth', tasks: [{ name: 'noop', run: 'true' }] }, { owner: USER });
  await ended;
  const path = `/jobs/${job.id}`;

  const tokens = await identity.issueOAuthTokens(principal);
  const jwt = await identity.issueJwt(USER);
  const { key } = await identity.createApiKey(USER, 'bench');
  const baseline: Credential = { name: 'auth off', headers: {} };
  const credentials: Credential[] = [
    baseline,
    { name: 'Basic', headers: { authorization: basic(USER, PASSWORD) } },
    { name: 'access token', headers: { authorization: `Bearer ${tokens.access_token}` } },
    { name: 'JWT (Bearer)', headers: { authorization: `Bearer ${jwt}` } },
    { name: 'JWT (X-Auth-Token)', headers: { 'x-auth-token': jwt } },
    { name: 'API key', headers: { authorization: `Bearer ${key}` } },
  ];

  // Every credential must see the same answer, the job as its owner sees it.
  const expected = await client.send('GET', path);
  if (expected.status !== 200) throw new Error(`GET ${path} without a credential: ${expected.status} ${expected.text}`);
  for (const credential of credentials) {
    const answer = await client.send('GET', path, undefined, credential.headers);
    if (answer.status !== 200 || answer.text !== expected.text) throw new Error(`${credential.name}: ${answer.status} ${answer.text}`);
  }

  const measure = async (credential: Credential, count: number, profile: string | undefined): Promise<Measurement> => {
    const load = await startLoad({ url: `${server.url}${path}`, count, concurrency: CONCURRENCY, headers: credential.headers });
    // Prime the cache of checked credentials: the first check of each is timed apart.
    const primed = await client.send('GET', path, undefined, credential.headers);
    if (primed.status !== 200) throw new Error(`${credential.name}: ${primed.status}`);
    Object.assign(scryptLog, { calls: 0, mostInFlight: 0, durationsMs: [] });
    const meter = cpuMeter();
    const run = async (): Promise<LoadResult> => {
      load.go();
      return load.done;
    };
    const result = profile === undefined ? await run() : await profiled(profile, run);
    const cpu = meter();
    return {
      ...result,
      perSecond: count / result.wallSeconds,
      serverCpuPerRequest: cpu.nodeSeconds / count,
      clientCpuPerRequest: result.cpuSeconds / count,
      scryptCalls: scryptLog.calls,
      scryptMostInFlight: scryptLog.mostInFlight,
      scryptLongestMs: Math.max(0, ...scryptLog.durationsMs),
    };
  };

  console.log(`auth: GET /jobs/<id> (Tork, one completed single-task job of its owner), ${REQUESTS} requests per measurement, ${CONCURRENCY} in flight on keep-alive connections, ${ROUNDS} rounds after a warm-up of ${WARMUP_REQUESTS}`);
  for (const credential of credentials) await measure(credential, WARMUP_REQUESTS, undefined);

  const results = new Map<string, Measurement[]>(credentials.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order so no credential always follows the same one or runs first.
    const order = credentials.map((_, i) => credentials[(i + round - 1) % credentials.length]!);
    // With BENCH_PROFILE_DIR, the last round is profiled, every credential alike.
    const profile = round === ROUNDS && process.env.BENCH_PROFILE_DIR !== undefined;
    for (const credential of order) {
      const slug = credential.name.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-$/, '');
      results.get(credential.name)!.push(await measure(credential, REQUESTS, profile ? `auth-${slug.replace(/^auth-/, '')}` : undefined));
    }
    const off = results.get(baseline.name)!.at(-1)!.perSecond;
    console.log(`  round ${round}: ${credentials.map((c) => `${c.name} ${fmt(results.get(c.name)!.at(-1)!.perSecond, 0)}`).join(', ')} requests/s (auth off ${fmt(off, 0)})`);
  }

  const off = results.get(baseline.name)!;
  const ms = (value: number): string => fmt(value, 2).padStart(7);
  console.log('credential          requests/s  p50 ms  p99 ms  max ms  server µs/req  client µs/req  ratio to auth off: requests/s (per round); server CPU');
  for (const credential of credentials) {
    const rounds = results.get(credential.name)!;
    const of = (pick: (m: Measurement) => number): number => median(rounds.map(pick));
    const rateRatios = rounds.map((r, i) => r.perSecond / off[i]!.perSecond);
    const cpuRatios = rounds.map((r, i) => off[i]!.serverCpuPerRequest / r.serverCpuPerRequest);
    console.log(
      `${credential.name.padEnd(18)} ${fmt(of((m) => m.perSecond), 0).padStart(10)} ${ms(of((m) => m.p50Ms))} ${ms(of((m) => m.p99Ms))} ${fmt(of((m) => m.maxMs), 0).padStart(7)}` +
        ` ${fmt(of((m) => m.serverCpuPerRequest * 1e6), 0).padStart(14)} ${fmt(of((m) => m.clientCpuPerRequest * 1e6), 0).padStart(14)}  ` +
        (credential === baseline ? '(baseline)' : `${fmt(median(rateRatios), 2)} (${rateRatios.map((r) => fmt(r, 2)).join(', ')}); ${fmt(median(cpuRatios), 2)}`),
    );
  }
  console.log('target: each ratio ≥ 0.90 (the median of the per-round requests/s ratios)');
  const basicRounds = results.get('Basic')!;
  console.log(
    `Basic: scrypt calls per measurement ${basicRounds.map((r) => r.scryptCalls).join(', ')}; most at once ${basicRounds.map((r) => r.scryptMostInFlight).join(', ')}; ` +
      `longest call ${basicRounds.map((r) => fmt(r.scryptLongestMs, 0)).join(', ')} ms (wall, queued on libuv's threads)`,
  );

  // After the rounds, with a warm server: the first Basic request of a credential: one scrypt (and a user read), one request at a time.
  const firstBasic: number[] = [];
  const cachedBasic: number[] = [];
  for (let i = 0; i < FIRST_BASIC_SAMPLES; i++) {
    const username = `first${i}`;
    await identity.addUser({ username, roles: ['user'], password: PASSWORD });
    for (const into of [firstBasic, cachedBasic]) {
      const started = performance.now();
      const answer = await client.send('GET', '/jobs?size=1', undefined, { authorization: basic(username, PASSWORD) });
      into.push(performance.now() - started);
      if (answer.status !== 200) throw new Error(`first Basic request: ${answer.status} ${answer.text}`);
    }
  }
  const hash = (await usersRepo.getPasswordHash(server.core.store.db, USER))!.passwordHash!;
  const scryptAlone: number[] = [];
  for (let i = 0; i < FIRST_BASIC_SAMPLES; i++) {
    const started = performance.now();
    await verifyPassword(PASSWORD, hash);
    scryptAlone.push(performance.now() - started);
  }

  console.log(
    `first Basic request of a credential (uncached, one at a time): median ${fmt(median(firstBasic), 1)} ms, max ${fmt(percentile(firstBasic, 100), 1)} ms; ` +
      `the same request again (cached) ${fmt(median(cachedBasic), 2)} ms; one scrypt alone ${fmt(median(scryptAlone), 1)} ms`,
  );
} finally {
  client.close();
  await server.cleanup();
}
