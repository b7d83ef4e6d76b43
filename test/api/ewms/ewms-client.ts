/**
 * A client that behaves as EWMS's own (rest-tools' RestClient): a Bearer token,
 * GET arguments in the query string, other arguments as the JSON body, and no
 * body at all for a POST without arguments. Answers are parsed JSON (an empty
 * body is null); statuses are kept so that tests can check errors.
 */
export interface EwmsAnswer<T = any> {
  status: number;
  body: T;
}

export class EwmsClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, args?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<EwmsAnswer<T>> {
    let target = `${this.url}${path}`;
    let body: string | undefined;
    if (method === 'GET' || method === 'HEAD') {
      if (args) target += `?${new URLSearchParams(Object.entries(args).map(([key, value]): [string, string] => [key, String(value)])).toString()}`;
    } else if (args !== undefined) {
      body = JSON.stringify(args);
    }
    const response = await fetch(target, { method, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}`, ...headers } });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** Like `request`, but a non-2xx status is an error (as raise_for_status). */
  async ok<T = any>(method: string, path: string, args?: Record<string, unknown>): Promise<T> {
    const answer = await this.request<T>(method, path, args);
    if (answer.status < 200 || answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}

/** A worker_config as EWMS's example script sends it. */
export const WORKER_CONFIG = {
  condor_requirements: '',
  do_transfer_worker_stdouterr: true,
  max_worker_runtime: 3600,
  n_cores: 1,
  priority: 99,
  worker_disk: '512M',
  worker_memory: '512M',
};

/** A one-task workflow at `local` whose task copies each event (or runs `args`). */
export function oneTaskWorkflow(args = 'cat {{INFILE}} > {{OUTFILE}}', workers = 1, environment: Record<string, string> = {}): Record<string, unknown> {
  return {
    public_queue_aliases: ['input-queue', 'output-queue'],
    tasks: [
      {
        cluster_locations: ['local'],
        input_queue_aliases: ['input-queue'],
        output_queue_aliases: ['output-queue'],
        task_image: '/usr/bin',
        task_args: args,
        n_workers: workers,
        worker_config: WORKER_CONFIG,
        pilot_config: { environment },
      },
    ],
  };
}
