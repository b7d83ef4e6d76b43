import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

/**
 * A lean HTTP client for benchmarks: node:http over one keep-alive connection.
 * fetch costs about a millisecond of JavaScript per request here, which would
 * be measured as if it were the server's.
 */
export function httpClient(baseUrl: string): {
  send(method: string, path: string, body?: { contentType: string; text: string }, extraHeaders?: OutgoingHttpHeaders): Promise<{ status: number; text: string }>;
  close(): void;
} {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    send: (method, path, body, extraHeaders = {}) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(body.text);
        const headers = payload && body ? { ...extraHeaders, 'content-type': body.contentType, 'content-length': payload.length } : extraHeaders;
        const req = request(`${baseUrl}${path}`, { method, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
