import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ServerError, TorkClient, UnreachableError, type FetchLike } from '../../src/cli/http-client.js';

/** A fetch that answers with the given chunks as the body, as a slow network would deliver them. */
function chunkedFetch(chunks: string[], status = 200): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  const fetch: FetchLike = async (input) => {
    urls.push(String(input));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    return new Response(body, { status });
  };
  return { fetch, urls };
}

/** A loopback port with nothing listening: bound, then released. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('TorkClient', () => {
  it('reassembles NDJSON lines split across chunks and stops at the job line', async () => {
    const part = (n: number): string => JSON.stringify({ id: String(n), number: n, taskId: 't', contents: `line ${n}\n` });
    const text = `${part(1)}\n${part(2)}\n{"job":{"id":"j","state":"COMPLETED"}}\n`;
    // Cut at awkward places: inside a JSON string and right before a newline.
    const { fetch, urls } = chunkedFetch([text.slice(0, 7), text.slice(7, part(1).length), text.slice(part(1).length, 60), text.slice(60)]);
    const seen: string[] = [];
    const end = await new TorkClient('http://gantry.test/', fetch).streamJobLog('j', (logPart) => seen.push(logPart.contents));
    expect(seen).toEqual(['line 1\n', 'line 2\n']);
    expect(end.job).toEqual({ id: 'j', state: 'COMPLETED' });
    expect(end.text).toBe('{"job":{"id":"j","state":"COMPLETED"}}');
    expect(urls).toEqual(['http://gantry.test/jobs/j/log/stream']);
  });

  it('accepts a job line without a final newline, and fails a stream that stops before the job ends', async () => {
    const whole = chunkedFetch(['{"job":{"id":"j","state":"FAILED","error":"boom"}}']);
    await expect(new TorkClient('http://x', whole.fetch).streamJobLog('j', () => undefined)).resolves.toMatchObject({ job: { state: 'FAILED' } });
    const cut = chunkedFetch(['{"id":"1","contents":"a\\n"}\n']);
    await expect(new TorkClient('http://x', cut.fetch).streamJobLog('j', () => undefined)).rejects.toThrow(/ended before the job did/);
  });

  it("reports the server's message for error answers, and the status when there is none", async () => {
    const notFound = chunkedFetch(['{"message":"job not found"}'], 404);
    await expect(new TorkClient('http://x', notFound.fetch).getJob('nope')).rejects.toEqual(new ServerError('job not found', 404));
    const html = chunkedFetch(['<html>bad gateway</html>'], 502);
    await expect(new TorkClient('http://x', html.fetch).nodes()).rejects.toThrow(/answered 502/);
    const notJson = chunkedFetch(['hello'], 200);
    await expect(new TorkClient('http://x', notJson.fetch).queues()).rejects.toThrow(/not JSON; is it a Gantry server/);
  });

  it('says which server it could not reach, and why', async () => {
    const port = await closedPort();
    const error = await new TorkClient(`http://127.0.0.1:${port}`).nodes().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(`cannot reach the Gantry server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('gives up on a server that accepts the connection but never answers, and says so', async () => {
    // A real socket that takes connections and stays silent: a wrong port, a hung proxy.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const client = new TorkClient(base, fetch, { timeoutMs: 300 });
      const started = Date.now();
      const error = await client.nodes().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as Error).message).toBe(`cannot reach the Gantry server at ${base}: no answer within 0.3s (is it a Gantry server?)`);
      expect(Date.now() - started).toBeLessThan(5_000);
      // The log stream has the same deadline for its start.
      await expect(client.streamJobLog('j', () => undefined)).rejects.toThrow(/no answer within 0\.3s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('puts paging and search into the query string and escapes ids', async () => {
    const { fetch, urls } = chunkedFetch(['{"items":[],"number":2,"size":5,"totalPages":0}']);
    const client = new TorkClient('http://x', fetch);
    await client.listJobs({ page: 2, size: 5, q: 'a b' });
    await client.listJobs();
    await client.jobLog('a/b', { size: 100 }).catch(() => undefined);
    expect(urls).toEqual(['http://x/jobs?page=2&size=5&q=a+b', 'http://x/jobs', 'http://x/jobs/a%2Fb/log?size=100']);
  });
});
