/** A little of EWMS's REST API for the benchmarks: JSON requests with a Bearer token. */
export function ewmsClient(baseUrl: string, token: string): (method: string, path: string, body?: unknown) => Promise<any> {
  return async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

/** Polls `check` every 20 ms until it answers a value; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * A one-task workflow whose task copies each event (`cat {{INFILE}} > {{OUTFILE}}`)
 * at `location`, with `pilots` pilots. `run` tells workflows apart: the same
 * POST again within a few minutes would be answered as a replay of the first.
 */
export function catWorkflow(location: string, pilots: number, run: number): Record<string, unknown> {
  return {
    public_queue_aliases: ['input-queue', 'output-queue'],
    tasks: [
      {
        cluster_locations: [location],
        input_queue_aliases: ['input-queue'],
        output_queue_aliases: ['output-queue'],
        task_image: '/usr/bin',
        task_args: 'cat {{INFILE}} > {{OUTFILE}}',
        task_env: { BENCH_RUN: String(run) },
        n_workers: pilots,
        worker_config: { condor_requirements: '', do_transfer_worker_stdouterr: true, max_worker_runtime: 3600, n_cores: 1, priority: 99, worker_disk: '512M', worker_memory: '512M' },
        pilot_config: { environment: {} },
      },
    ],
  };
}

/** Creates the workflow and waits until its queues are activated: their ids and the workflow's queue token. */
export async function createWorkflow(ewms: ReturnType<typeof ewmsClient>, body: Record<string, unknown>): Promise<{ workflowId: string; input: string; output: string; token: string }> {
  const created = await ewms('POST', '/v1/workflows', body);
  const workflowId = created.workflow.workflow_id as string;
  const token = await waitFor('activated queues', async () => {
    const profiles = (await ewms('GET', `/v1/mqs/workflows/${workflowId}/mq-profiles/public`)).mqprofiles as Array<{ is_activated: boolean; auth_token: string }>;
    return profiles.length > 0 && profiles.every((profile) => profile.is_activated) ? profiles[0]!.auth_token : undefined;
  });
  return { workflowId, input: created.task_directives[0].input_queues[0], output: created.task_directives[0].output_queues[0], token };
}
