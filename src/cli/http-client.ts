import type { Job, JobSummary, LogPart, Node, Page, QueueInfo } from './tork-types.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A parsed JSON answer together with the exact text the server sent (for `--json`). */
export interface ApiResponse<T> {
  body: T;
  text: string;
}

/** The server answered, but with an error status; `message` is its `{"message"}` when it sent one. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** No answer at all: connection refused, DNS failure, reset, or silence past the timeout. */
export class UnreachableError extends Error {
  constructor(baseUrl: string, reason: string) {
    super(`cannot reach the Gantry server at ${baseUrl}: ${reason}`);
    this.name = 'UnreachableError';
  }
}

/** Paging parameters of the list endpoints; unset ones are left to the server's defaults. */
export interface PageQuery {
  page?: number;
  size?: number;
  q?: string;
}

/** The last line of the log stream: the job once it has ended. */
export interface StreamEnd {
  job: JobSummary;
  text: string;
}

export type FetchLike = typeof fetch;

/**
 * How long one request may go unanswered. Something that accepts connections but
 * never answers (a wrong port, a hung proxy) would otherwise keep the CLI waiting
 * for minutes; a Gantry server answers every request of the CLI in well under this.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface TorkClientOptions {
  /** Longest wait for an answer (for the log stream: for its first byte), in milliseconds. */
  timeoutMs?: number;
  /** `Authorization` header sent with every request. */
  authorization?: string;
}

/** Finds the useful words in undici's "fetch failed" (the cause holds the errno, sometimes nested). */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map((inner: unknown) => describeFailure({ cause: inner })))].join('; ');
  }
  const { message, code } = cause as { message?: string; code?: string };
  return message || code || String(cause);
}

function query(params: PageQuery): string {
  const search = new URLSearchParams();
  if (params.page !== undefined) search.set('page', String(params.page));
  if (params.size !== undefined) search.set('size', String(params.size));
  if (params.q !== undefined && params.q !== '') search.set('q', params.q);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const segment = (id: string): string => encodeURIComponent(id);

/** A small typed client for the Tork API as Gantry serves it, over global `fetch`. */
export class TorkClient {
  readonly baseUrl: string;

  private readonly timeoutMs: number;
  private readonly authorization: string | undefined;

  constructor(
    baseUrl: string,
    private readonly fetchImpl: FetchLike = fetch,
    options: TorkClientOptions = {},
  ) {
    // A trailing slash would double up with the paths below.
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.authorization = options.authorization;
  }

  submitJob(text: string, contentType: string): Promise<ApiResponse<JobSummary>> {
    return this.json('POST', '/jobs', { body: text, headers: { 'content-type': contentType } });
  }

  getJob(id: string): Promise<ApiResponse<Job>> {
    return this.json('GET', `/jobs/${segment(id)}`);
  }

  listJobs(params: PageQuery = {}): Promise<ApiResponse<Page<JobSummary>>> {
    return this.json('GET', `/jobs${query(params)}`);
  }

  cancelJob(id: string): Promise<ApiResponse<{ status: string }>> {
    return this.json('PUT', `/jobs/${segment(id)}/cancel`);
  }

  restartJob(id: string): Promise<ApiResponse<{ status: string }>> {
    return this.json('PUT', `/jobs/${segment(id)}/restart`);
  }

  jobLog(id: string, params: PageQuery = {}): Promise<ApiResponse<Page<LogPart>>> {
    return this.json('GET', `/jobs/${segment(id)}/log${query(params)}`);
  }

  nodes(): Promise<ApiResponse<Node[]>> {
    return this.json('GET', '/nodes');
  }

  queues(): Promise<ApiResponse<QueueInfo[]>> {
    return this.json('GET', '/queues');
  }

  /**
   * Follows `GET /jobs/{id}/log/stream` (Gantry's NDJSON extension): calls `onPart`
   * for each log part as it arrives and resolves with the last line, the ended job.
   */
  async streamJobLog(id: string, onPart: (part: LogPart, text: string) => void, signal?: AbortSignal): Promise<StreamEnd> {
    // The stream stays open as long as the job runs: only its start has a deadline.
    const silence = new AbortController();
    const timer = setTimeout(() => silence.abort(new DOMException('no answer', 'TimeoutError')), this.timeoutMs);
    let response: Response;
    try {
      response = await this.send('GET', `/jobs/${segment(id)}/log/stream`, { signal: signal ? AbortSignal.any([signal, silence.signal]) : silence.signal });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok || response.body === null) throw this.failure(response, await response.text().catch(() => ''));
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const handle = (line: string): StreamEnd | undefined => {
      if (line.trim() === '') return undefined;
      const value = this.parse<LogPart | { job: JobSummary }>(line, response);
      if ('job' in value) return { job: value.job, text: line };
      onPart(value, line);
      return undefined;
    };
    const read = async (): Promise<{ done: boolean; value?: Uint8Array }> => {
      try {
        return await reader.read();
      } catch (error) {
        throw new UnreachableError(this.baseUrl, `the log stream broke off: ${describeFailure(error)}`);
      }
    };
    try {
      for (;;) {
        const { done, value } = await read();
        buffered += decoder.decode(value, { stream: !done });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const end = handle(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          if (end) return end;
        }
        if (done) break;
      }
    } finally {
      reader.releaseLock();
      // Stop the download when we return early (the job line came) or on error.
      await response.body.cancel().catch(() => undefined);
    }
    const end = handle(buffered);
    if (end) return end;
    // The connection closed cleanly but early: contact with the server is lost, as when it breaks off.
    throw new UnreachableError(this.baseUrl, 'the log stream ended before the job did (server shutting down?)');
  }

  /** Publishes JSON values to a workflow's queue (EWMS's queue routes). */
  mqPublish(queue: string, messages: readonly unknown[]): Promise<ApiResponse<{ published: number }>> {
    return this.json('POST', `/v1/mqs/queues/${encodeURIComponent(queue)}/messages`, { body: JSON.stringify({ messages }), headers: JSON_HEADERS });
  }

  mqConsume(queue: string, options: { max: number; waitSeconds: number }): Promise<ApiResponse<{ messages: Array<{ ack_id: string; message: unknown; deliveries: number }> }>> {
    return this.json('POST', `/v1/mqs/queues/${encodeURIComponent(queue)}/actions/consume`, { body: JSON.stringify({ max_messages: options.max, wait: options.waitSeconds }), headers: JSON_HEADERS });
  }

  mqAck(queue: string, ackIds: readonly string[]): Promise<ApiResponse<{ acked: number }>> {
    return this.json('POST', `/v1/mqs/queues/${encodeURIComponent(queue)}/actions/ack`, { body: JSON.stringify({ ack_ids: ackIds }), headers: JSON_HEADERS });
  }

  mqProfiles(workflowId: string): Promise<ApiResponse<{ mqprofiles: Array<{ mqid: string; alias: string }> }>> {
    return this.json('GET', `/v1/mqs/workflows/${encodeURIComponent(workflowId)}/mq-profiles/public`);
  }

  private async json<T>(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send(method, path, { ...init, signal: deadline });
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.lost(error, deadline);
    }
    if (!response.ok) throw this.failure(response, text);
    return { body: this.parse<T>(text, response), text };
  }

  private async send(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    try {
      const headers = this.authorization === undefined ? init.headers : { ...init.headers, authorization: this.authorization };
      return await this.fetchImpl(`${this.baseUrl}${path}`, { method, ...init, headers });
    } catch (error) {
      throw this.lost(error, init.signal);
    }
  }

  /** The request got no (whole) answer: past the deadline, or the connection failed. A caller's own abort passes through. */
  private lost(error: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof Error && reason.name === 'TimeoutError') {
        return new UnreachableError(this.baseUrl, `no answer within ${Math.round(this.timeoutMs / 100) / 10}s (is it a Gantry server?)`);
      }
      return error;
    }
    return new UnreachableError(this.baseUrl, describeFailure(error));
  }

  private parse<T>(text: string, response: Response): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ServerError(`${this.baseUrl} answered ${response.status} with something that is not JSON; is it a Gantry server?`, response.status);
    }
  }

  /** Turns an error answer into an error with the server's own words when it gave some. */
  private failure(response: Response, text: string): ServerError {
    try {
      // Tork's and Zoe's `{"message"}`, EWMS's `{"code", "error"}`.
      const { message, error } = JSON.parse(text) as { message?: unknown; error?: unknown };
      if (typeof message === 'string' && message !== '') return new ServerError(message, response.status);
      if (typeof error === 'string' && error !== '') return new ServerError(error, response.status);
    } catch {
      // Not JSON: fall back to the status line below.
    }
    return new ServerError(`server answered ${response.status} ${response.statusText}`.trim(), response.status);
  }
}
