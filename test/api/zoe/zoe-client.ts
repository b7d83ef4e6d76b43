/**
 * A client that talks to Gantry as Zoe's own Python client does
 * (zoe_cmd/api_lib): it logs in once with Basic on GET /login, keeps the whole
 * Set-Cookie header string and sends it back as its Cookie on every later
 * call, sends JSON, and reads errors from the HTTP reason phrase.
 */
import { request as httpRequest } from 'node:http';

export interface ZoeAnswer<T = any> {
  status: number;
  /** The HTTP reason phrase (what Zoe's client shows as the error). */
  reason: string;
  body: T;
  text: string;
}

/** One HTTP call with the raw reason phrase (fetch does not expose it). */
export function zoeCall(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<ZoeAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', body, text });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export class ZoeClient {
  private cookie: string | undefined;

  constructor(
    private readonly base: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  async login(): Promise<ZoeAnswer> {
    const answer = await new Promise<ZoeAnswer & { setCookie?: string }>((resolve, reject) => {
      const req = httpRequest(`${this.base}/api/0.7/login`, { headers: { authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const header = res.headers['set-cookie'];
          resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', text, body: text ? JSON.parse(text) : undefined, setCookie: Array.isArray(header) ? header.join(', ') : header });
        });
      });
      req.on('error', reject);
      req.end();
    });
    // requests' response.headers['Set-Cookie']: the whole header, attributes and all.
    this.cookie = answer.setCookie;
    return answer;
  }

  call(method: string, path: string, json?: unknown): Promise<ZoeAnswer> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (json !== undefined) headers['content-type'] = 'application/json';
    return zoeCall(`${this.base}/api/0.7${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  }

  start(name: string, application: unknown): Promise<ZoeAnswer> {
    return this.call('POST', '/execution', { application, name });
  }
}
