import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createTestDatabase, type StoreKind, type TestDatabase } from './stores.js';

export interface TestServer {
  url: string;
  server: RunningServer;
  database: TestDatabase;
  /** Closes the server (idempotent); keeps the database for a restart. */
  close(): Promise<void>;
  /** Closes the server and drops its database. */
  destroy(): Promise<void>;
}

/** The password of the `admin` user every test server starts with. */
export const TEST_ADMIN_PASSWORD = 'admin-test-password';

/**
 * The real server on 127.0.0.1 and a random port, over a fresh database of the
 * given kind, with its in-process worker and the real sandboxed runtime.
 */
export async function startTestServer(
  kind: StoreKind,
  overrides: ConfigInput = {},
  options: { database?: TestDatabase; runtime?: Runtime } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(kind));
  const config = loadConfig({
    env: {},
    flags: {
      host: '127.0.0.1',
      port: 0,
      dataDir: database.dataDir,
      database: database.database,
      logLevel: 'silent',
      ...overrides,
      scheduler: { retryBackoffMs: 50, ...overrides.scheduler },
      shutdown: { graceMs: 2_000, ...overrides.shutdown },
      // Warm sandbox pools cost every server start; the exec tests turn them on.
      exec: { enabled: false, ...overrides.exec },
      // Tests of the dialects' behaviour call Tork without credentials, as admin; the
      // access tests (test/api/auth) turn this off and bring credentials.
      auth: { adminPassword: TEST_ADMIN_PASSWORD, anonymous: { tork: 'admin' }, ...overrides.auth },
    },
  });
  const server = await startServer(config, { runtime: options.runtime });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return {
    url: server.url,
    server,
    database,
    close,
    destroy: async () => {
      await close();
      await database.drop();
    },
  };
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A request whose answer must be JSON (every Tork answer is, errors included). */
export async function request<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, { method: init.method ?? 'GET', body: init.body, headers: init.headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

export const yamlHeaders = { 'content-type': 'text/yaml' };

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Submits a YAML job and waits until it is COMPLETED, FAILED or CANCELLED. */
export async function runJob(url: string, yaml: string, timeoutMs = 20_000): Promise<Record<string, any>> {
  const submitted = await request<{ id: string }>(`${url}/jobs`, { method: 'POST', body: yaml, headers: yamlHeaders });
  if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  return waitForJob(url, submitted.body.id, timeoutMs);
}

export async function waitForJob(url: string, id: string, timeoutMs = 20_000): Promise<Record<string, any>> {
  return eventually(
    async () => {
      const { body } = await request<Record<string, any>>(`${url}/jobs/${id}`);
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.state) ? body : undefined;
    },
    timeoutMs,
    `job ${id} to end`,
  );
}
