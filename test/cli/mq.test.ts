import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../support/server.js';
import { gantry, killLeftovers, requireBuiltCli } from './run-cli.js';

const OUTSIDE = { osg: { schedd: 'schedd.example' } };

describe('gantry mq publish|consume', () => {
  let t: TestServer;
  let token: string;
  let workflowId: string;
  let queue: string;
  const cwd = mkdtempSync(join(tmpdir(), 'gantry-mq-cli-'));

  beforeAll(async () => {
    requireBuiltCli();
    // At a location served by an outside TMS no pilot starts: the queue keeps what is published.
    t = await startTestServer('sqlite', { ewms: { tickMs: 100, locations: OUTSIDE } });
    token = await t.server.core.identity.issueJwt('admin');
    const response = await fetch(`${t.url}/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        public_queue_aliases: ['in'],
        tasks: [
          {
            cluster_locations: ['osg'],
            input_queue_aliases: ['in'],
            output_queue_aliases: ['out'],
            task_image: 'x',
            task_args: 'cat',
            worker_config: { condor_requirements: '', do_transfer_worker_stdouterr: false, max_worker_runtime: 60, n_cores: 1, priority: 1, worker_disk: '1G', worker_memory: '64M' },
          },
        ],
      }),
    });
    const created = (await response.json()) as any;
    workflowId = created.workflow.workflow_id;
    queue = created.task_directives[0].input_queues[0];
    await eventually(async () => {
      const profiles = (await (await fetch(`${t.url}/v1/mqs/workflows/${workflowId}/mq-profiles/public`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
      return profiles.mqprofiles[0]?.is_activated ? true : undefined;
    });
  });
  afterAll(async () => {
    killLeftovers();
    await t?.destroy();
  });

  const env = () => ({ GANTRY_SERVER: t.url, GANTRY_TOKEN: token });

  it('publishes lines of standard input and arguments, and consumes them in order, by id or by workflow/alias', async () => {
    const piped = await gantry(['mq', 'publish', queue], { cwd, env: env(), input: 'first\nsecond\n' });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain(`published 2 messages to ${queue}`);
    const argued = await gantry(['mq', 'publish', `${workflowId}/in`, '--json-lines', '{"n":3}', '4'], { cwd, env: env() });
    expect(argued.code, argued.stderr).toBe(0);
    const consumed = await gantry(['mq', 'consume', `${workflowId}/in`, '--max', '10', '--wait', '1'], { cwd, env: env() });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toBe('first\nsecond\n{"n":3}\n4\n');
    // Acked once printed: nothing is left.
    const again = await gantry(['mq', 'consume', queue, '--wait', '0'], { cwd, env: env() });
    expect(again).toMatchObject({ code: 0, stdout: '' });
  });

  it('says what is wrong: an unknown alias, a bad JSON line, an unknown queue', async () => {
    const alias = await gantry(['mq', 'consume', `${workflowId}/nope`], { cwd, env: env() });
    expect(alias.code).not.toBe(0);
    expect(alias.stderr).toContain('has no public queue nope (public: in)');
    const json = await gantry(['mq', 'publish', queue, '--json-lines', '{oops'], { cwd, env: env() });
    expect(json.code).not.toBe(0);
    expect(json.stderr).toContain('not a JSON value: {oops');
    const unknown = await gantry(['mq', 'publish', 'MQ-none', 'x'], { cwd, env: env() });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no queue found with id: MQ-none');
  });
});
