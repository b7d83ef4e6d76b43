/**
 * A load generator in its own process, as clients are in real use: sends the
 * same request `count` times to `url`, `concurrency` at a time, over keep-alive
 * connections (node:http, which costs far less per request than fetch), and
 * exits non-zero on any status other than 200.
 *
 *   node --import tsx bench/lib/http-load.ts [--method M] URL COUNT CONCURRENCY [CONTENT_TYPE BODY|@FILE]
 *
 * With a body the method defaults to POST, without one to GET. Extra request
 * headers (credentials, say) come as a JSON object in HTTP_LOAD_HEADERS, kept
 * out of the command line, which every user of the machine can read.
 *
 * It prints `ready` once started and begins when a line arrives on stdin, so
 * the caller's clock does not include Node's start-up; at the end it prints
 * `done CPU WALL P50 P99 MAX`: the CPU seconds it used, the seconds from the
 * first request to the last response, and the median, 99th percentile and
 * longest of the request latencies in milliseconds. Its process is named `http-load`, so
 * cpu.ts does not count it as the runtime's launcher.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';
import { percentile } from './stats.js';

process.title = 'http-load';
const { values: options, positionals } = parseArgs({ options: { method: { type: 'string' } }, allowPositionals: true });
const [url, countText, concurrencyText, contentType, body] = positionals;
if (!url || !countText || !concurrencyText || (contentType !== undefined && body === undefined)) {
  throw new Error('usage: http-load [--method M] URL COUNT CONCURRENCY [CONTENT_TYPE BODY]');
}
const count = Number(countText);
const concurrency = Number(concurrencyText);
const method = options.method ?? (body === undefined ? 'GET' : 'POST');
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
// `@<path>`: the body is that file's contents (a command line holds at most 128 KiB an argument).
const payload = body === undefined ? undefined : body.startsWith('@') ? readFileSync(body.slice(1)) : Buffer.from(body);
const headers: OutgoingHttpHeaders = {
  ...(JSON.parse(process.env.HTTP_LOAD_HEADERS ?? '{}') as OutgoingHttpHeaders),
  ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
};
const latencies = new Float64Array(count);

function send(index: number): Promise<void> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url!, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        latencies[index] = performance.now() - started;
        if (res.statusCode === 200) resolve();
        else reject(new Error(`status ${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

console.log('ready');
await once(process.stdin, 'data');
const cpuAtStart = process.cpuUsage();
const wallAtStart = performance.now();
let sent = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (sent < count) await send(sent++);
  }),
);
const wallSeconds = (performance.now() - wallAtStart) / 1000;
agent.destroy();
const used = process.cpuUsage(cpuAtStart);
const sorted = [...latencies];
console.log(`done ${(used.user + used.system) / 1e6} ${wallSeconds} ${percentile(sorted, 50)} ${percentile(sorted, 99)} ${percentile(sorted, 100)}`);
process.exit(0);
