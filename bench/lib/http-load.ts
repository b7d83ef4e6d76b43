/**
 * A load generator in its own process, as clients are in real use: POSTs the same
 * body `count` times to `url`, `concurrency` at a time, over keep-alive
 * connections (node:http, which costs far less per request than fetch), and
 * exits non-zero on any status other than 200.
 *
 *   node --import tsx bench/lib/http-load.ts URL COUNT CONCURRENCY CONTENT_TYPE BODY
 *
 * It prints `ready` once started and begins when a line arrives on stdin, so
 * the caller's clock does not include Node's start-up; at the end it prints the
 * CPU seconds it used as `done <seconds>`. Its process is named `http-load`, so
 * cpu.ts does not count it as the runtime's launcher.
 */
import { Agent, request } from 'node:http';
import { once } from 'node:events';

process.title = 'http-load';
const [url, countText, concurrencyText, contentType, body] = process.argv.slice(2);
if (!url || !countText || !concurrencyText || !contentType || body === undefined) throw new Error('usage: http-load URL COUNT CONCURRENCY CONTENT_TYPE BODY');
const count = Number(countText);
const concurrency = Number(concurrencyText);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const payload = Buffer.from(body);

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url!, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}: ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

console.log('ready');
await once(process.stdin, 'data');
const cpuAtStart = process.cpuUsage();
let sent = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (sent < count) {
      sent++;
      await post();
    }
  }),
);
agent.destroy();
const used = process.cpuUsage(cpuAtStart);
console.log(`done ${(used.user + used.system) / 1e6}`);
process.exit(0);
