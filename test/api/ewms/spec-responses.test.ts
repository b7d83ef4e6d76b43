import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ewmsDescribedAnswers, ewmsResponseErrors, ewmsSpecAvailable } from '../../support/specs.js';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { STORES } from '../../support/stores.js';
import { EwmsClient, WORKER_CONFIG } from './ewms-client.js';

/**
 * Every JSON answer of the EWMS routes that EWMS's published spec describes,
 * validated against the schema the spec gives for its route and status. The
 * workflows run at locations of an outside TMS (no pilots start): the built-in
 * manager only activates their queues and offers their taskforces.
 */
const OUTSIDE_LOCATIONS = { osg: { schedd: 'schedd.example' }, 'osg-two': { schedd: 'schedd-two.example' } };

/**
 * Answers the spec describes that no request can draw from Gantry: these routes
 * take no argument that could be wrong (an id that matches nothing is a 404).
 */
const UNREACHABLE = new Set([
  'GET /v1/schema/openapi 400',
  'GET /v1/workflows/{workflow_id} 400',
  'GET /v1/task-directives/{task_id} 400',
  'GET /v1/taskforces/{taskforce_uuid} 400',
  'POST /v1/workflows/{workflow_id}/actions/abort 400',
  'POST /v1/workflows/{workflow_id}/actions/finished 400',
  'GET /v1/ 400',
]);

/** A two-task workflow (events → middle → results) whose first task runs at `locations`, with every optional field set. */
function workflowRequest(label: string, locations: string[]): Record<string, unknown> {
  return {
    public_queue_aliases: ['events', 'results'],
    priority: 10,
    tasks: [
      {
        cluster_locations: locations,
        task_image: '/images/first',
        task_args: `first ${label} {{INFILE}} {{OUTFILE}}`,
        task_env: { STAGE: '1' },
        init_image: '/images/init',
        init_args: 'setup',
        init_env: { INIT: 'yes' },
        input_queue_aliases: ['events'],
        output_queue_aliases: ['middle'],
        pilot_config: { tag: '1.2.3', environment: { LEVEL: 3, NAMES: ['a', 'b'], MODE: 'fast' }, input_files: ['/data/table.csv'] },
        worker_config: WORKER_CONFIG,
        n_workers: 4,
      },
      { cluster_locations: ['osg'], task_image: '/images/second', task_args: `second ${label}`, input_queue_aliases: ['middle'], output_queue_aliases: ['results'], worker_config: WORKER_CONFIG },
    ],
  };
}

const SUBMISSION = { cluster_id: 1234, n_workers: 4, submit_dict: { universe: 'container', request_cpus: 1 }, job_event_log_fpath: '/scratch/ewms/events.log' };

describe.skipIf(!ewmsSpecAvailable).each(STORES)("EWMS answers on %s, against EWMS's published spec", (kind) => {
  let t: TestServer;
  let ewms: EwmsClient;
  /** `METHOD /path STATUS` of each answer validated. */
  const checked = new Set<string>();

  /**
   * Sends a request as EWMS's clients do, checks its status, and validates its
   * answer against the spec; with `whole`, its documents must be whole too.
   */
  async function answer(
    method: 'GET' | 'POST',
    template: string,
    params: Record<string, string>,
    args: Record<string, unknown> | undefined,
    status: number,
    options: { whole?: boolean } = {},
  ): Promise<any> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
    const got = await ewms.request(method, path, args);
    expect(got.status, `${method} ${path} answered ${JSON.stringify(got.body)}`).toBe(status);
    expect(await ewmsResponseErrors(method, template, got.status, got.body, options), `${method} ${template} ${status}: ${JSON.stringify(got.body)}`).toEqual([]);
    if (status >= 400) expect(got.body.code).toBe(status);
    checked.add(`${method} ${template} ${status}`);
    return got.body;
  }

  /** Pages through a query route, validating each page; the documents of all pages. */
  async function allPages(route: string, field: string, request: Record<string, unknown>, whole: boolean): Promise<any[]> {
    const docs: any[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: any = await answer('POST', route, {}, { ...request, ...(after === null ? {} : { after }) }, 200, { whole });
      docs.push(...page[field]);
      after = page.next_after;
      pages++;
    } while (after !== null && pages < 50);
    expect(after).toBeNull();
    return docs;
  }

  let first: any;
  let second: any;

  beforeAll(async () => {
    t = await startTestServer(kind, { ewms: { tickMs: 100, queryPageRows: 2, locations: OUTSIDE_LOCATIONS } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
  });
  afterAll(async () => t?.destroy());

  it('POST /v1/workflows: the workflow with its task directives and taskforces, and 400', async () => {
    first = await answer('POST', '/v1/workflows', {}, workflowRequest('first', ['osg', 'osg-two']), 200, { whole: true });
    expect(first.task_directives).toHaveLength(2);
    expect(first.taskforces).toHaveLength(3);
    second = await answer('POST', '/v1/workflows', {}, workflowRequest('second', ['osg']), 200, { whole: true });
    expect(second.taskforces).toHaveLength(2);
    await answer('POST', '/v1/workflows', {}, { ...workflowRequest('bad', ['osg']), tasks: [] }, 400);
  });

  it('GET of a workflow, a task directive and a taskforce, and 404 for ids that match nothing', async () => {
    const workflow = await answer('GET', '/v1/workflows/{workflow_id}', { workflow_id: first.workflow.workflow_id }, undefined, 200, { whole: true });
    expect(workflow).toEqual(first.workflow);
    const directive = await answer('GET', '/v1/task-directives/{task_id}', { task_id: first.task_directives[0].task_id }, undefined, 200, { whole: true });
    expect(directive).toEqual(first.task_directives[0]);
    const taskforce = await answer('GET', '/v1/taskforces/{taskforce_uuid}', { taskforce_uuid: first.taskforces[0].taskforce_uuid }, undefined, 200, { whole: true });
    expect(taskforce.taskforce_uuid).toBe(first.taskforces[0].taskforce_uuid);
    await answer('GET', '/v1/workflows/{workflow_id}', { workflow_id: 'WF-00000000-00000000' }, undefined, 404);
    await answer('GET', '/v1/task-directives/{task_id}', { task_id: 'TK-00000000-00000000-00000000' }, undefined, 404);
    await answer('GET', '/v1/taskforces/{taskforce_uuid}', { taskforce_uuid: 'TF-00000000-00000000-00000000-00000000' }, undefined, 404);
  });

  it('the query routes: whole documents over several pages, projections, and 400', async () => {
    const workflows = await allPages('/v1/query/workflows', 'workflows', { query: {} }, true);
    expect(workflows.map((w) => w.workflow_id).sort()).toEqual([first.workflow.workflow_id, second.workflow.workflow_id].sort());
    const directives = await allPages('/v1/query/task-directives', 'task_directives', { query: {} }, true);
    expect(directives).toHaveLength(4);
    const taskforces = await allPages('/v1/query/taskforces', 'taskforces', { query: {} }, true);
    expect(taskforces).toHaveLength(5);

    // With a projection the documents are partial: the spec requires none of their fields.
    const ids = await allPages('/v1/query/workflows', 'workflows', { query: { priority: 10 }, projection: ['workflow_id'] }, false);
    expect(ids).toHaveLength(2);
    expect(ids.every((w) => Object.keys(w).join() === 'workflow_id')).toBe(true);
    const queues = await answer('POST', '/v1/query/task-directives', {}, { query: { workflow_id: first.workflow.workflow_id }, projection: ['task_id', 'input_queues', 'output_queues'] }, 200);
    expect(queues.task_directives).toHaveLength(2);
    // As EWMS's TMS asks: its taskforces at a schedd that are not complete.
    const tms = await allPages('/v1/query/taskforces', 'taskforces', { query: { schedd: 'schedd.example', phase: { $ne: 'condor-complete' } }, projection: ['taskforce_uuid', 'cluster_id'] }, false);
    expect(tms).toHaveLength(4);
    const monitor = await answer(
      'POST',
      '/v1/query/taskforces',
      {},
      { query: { workflow_id: second.workflow.workflow_id }, projection: ['phase', 'phase_change_log', 'compound_statuses', 'top_task_errors', 'taskforce_uuid', 'task_id'] },
      200,
    );
    expect(monitor.taskforces).toHaveLength(2);

    for (const route of ['/v1/query/workflows', '/v1/query/task-directives', '/v1/query/taskforces']) {
      await answer('POST', route, {}, { query: { $where: 'true' } }, 400);
    }
  });

  it('add-workers: the new taskforce, 422, 404 and 400', async () => {
    const taskId = first.task_directives[1].task_id;
    const added = await answer('POST', '/v1/task-directives/{task_id}/actions/add-workers', { task_id: taskId }, { cluster_location: 'osg-two', n_workers: 3 }, 200, { whole: true });
    expect(added).toMatchObject({ task_id: taskId, n_workers: 3, schedd: 'schedd-two.example', phase: 'pre-mq-activation' });
    await answer('POST', '/v1/task-directives/{task_id}/actions/add-workers', { task_id: taskId }, { cluster_location: 'nowhere', n_workers: 1 }, 422);
    await answer('POST', '/v1/task-directives/{task_id}/actions/add-workers', { task_id: 'TK-00000000-00000000-00000000' }, { cluster_location: 'osg', n_workers: 1 }, 404);
    await answer('POST', '/v1/task-directives/{task_id}/actions/add-workers', { task_id: taskId }, { cluster_location: 'osg', n_workers: 'two' }, 400);
  });

  it('the TMS routes: what to start and to stop, and what became of it', async () => {
    await eventually(
      async () => {
        const { taskforces } = await ewms.ok('POST', '/v1/query/taskforces', { query: { schedd: 'schedd.example', phase: { $ne: 'pending-starter' } }, projection: ['taskforce_uuid'] });
        return taskforces.length === 0 && (await ewms.ok('POST', '/v1/query/taskforces', { query: { schedd: 'schedd.example' } })).taskforces.length > 0 ? true : undefined;
      },
      15_000,
      'the taskforces at schedd.example to wait for their TMS',
    );
    const schedd = { schedd: 'schedd.example' };
    expect(await answer('GET', '/v1/tms/pending-starter/taskforces', {}, { schedd: 'schedd.nowhere' }, 200)).toEqual({});
    const pending = await answer('GET', '/v1/tms/pending-starter/taskforces', {}, schedd, 200, { whole: true });
    expect(pending.taskforce.phase).toBe('pending-starter');
    expect(pending.task_directive.task_id).toBe(pending.taskforce.task_id);
    expect(pending.mqprofiles.length).toBeGreaterThan(0);
    await answer('GET', '/v1/tms/pending-starter/taskforces', {}, undefined, 400);

    const started = pending.taskforce.taskforce_uuid as string;
    const notStarted = first.taskforces.concat(second.taskforces).find((tf: any) => tf.taskforce_uuid !== started && tf.schedd === 'schedd.example').taskforce_uuid as string;
    const unknown = { taskforce_uuid: 'TF-00000000-00000000-00000000-00000000' };
    const submit = '/v1/tms/condor-submit/taskforces/{taskforce_uuid}';
    expect(await answer('POST', submit, { taskforce_uuid: started }, SUBMISSION, 200)).toEqual({ taskforce_uuid: started });
    await answer('POST', submit, unknown, SUBMISSION, 404);
    await answer('POST', submit, { taskforce_uuid: notStarted }, { ...SUBMISSION, cluster_id: 'one' }, 400);
    const submitFailed = '/v1/tms/condor-submit/taskforces/{taskforce_uuid}/failed';
    expect(await answer('POST', submitFailed, { taskforce_uuid: notStarted }, { error: 'schedd unreachable' }, 200)).toEqual({ taskforce_uuid: notStarted });
    await answer('POST', submitFailed, unknown, { error: 'schedd unreachable' }, 404);
    await answer('POST', submitFailed, { taskforce_uuid: notStarted }, { error: 5 }, 400);

    expect(await answer('GET', '/v1/tms/pending-stopper/taskforces', {}, schedd, 200)).toEqual({});
    await answer('GET', '/v1/tms/pending-stopper/taskforces', {}, { collector: 'old' }, 400);
    const workflowOf = pending.taskforce.workflow_id as string;
    await answer('POST', '/v1/workflows/{workflow_id}/actions/abort', { workflow_id: workflowOf }, undefined, 200);
    const stopping = await answer('GET', '/v1/tms/pending-stopper/taskforces', {}, schedd, 200, { whole: true });
    expect(stopping).toMatchObject({ taskforce_uuid: started, phase: 'pending-stopper', cluster_id: SUBMISSION.cluster_id });

    const rm = '/v1/tms/condor-rm/taskforces/{taskforce_uuid}';
    const rmFailed = '/v1/tms/condor-rm/taskforces/{taskforce_uuid}/failed';
    expect(await answer('POST', rmFailed, { taskforce_uuid: started }, { error: 'condor_rm timed out' }, 200)).toEqual({ taskforce_uuid: started });
    expect(await answer('POST', rmFailed, { taskforce_uuid: started }, undefined, 200)).toEqual({ taskforce_uuid: started });
    await answer('POST', rmFailed, unknown, undefined, 404);
    await answer('POST', rmFailed, { taskforce_uuid: started }, { error: ['not', 'a', 'string'] }, 400);
    expect(await answer('POST', rm, { taskforce_uuid: started }, undefined, 200)).toEqual({ taskforce_uuid: started });
    await answer('POST', rm, unknown, undefined, 404);
    await answer('POST', rm, { taskforce_uuid: started }, { cluster_id: 1234 }, 400);

    const complete = '/v1/tms/condor-complete/taskforces/{taskforce_uuid}';
    expect(await answer('POST', complete, { taskforce_uuid: started }, { condor_complete_ts: 1_700_000_000 }, 200)).toEqual({ taskforce_uuid: started });
    await answer('POST', complete, unknown, { condor_complete_ts: 1_700_000_000 }, 404);
    await answer('POST', complete, { taskforce_uuid: started }, { condor_complete_ts: 'yesterday' }, 400);
    const ended = await answer('GET', '/v1/taskforces/{taskforce_uuid}', { taskforce_uuid: started }, undefined, 200, { whole: true });
    expect(ended.phase).toBe('condor-complete');
  });

  it('statuses: 200 when every taskforce is known, 207 when some are not, and 400', async () => {
    const [one, two] = second.taskforces.map((tf: any) => tf.taskforce_uuid as string);
    const statuses = '/v1/tms/statuses/taskforces';
    const updated = await answer(
      'POST',
      statuses,
      {},
      { top_task_errors_by_taskforce: { [one]: { 'exit 1': 3 } }, compound_statuses_by_taskforce: { [one]: { RUNNING: { tasking: 2 } }, [two]: { IDLE: { 'no pilot': 4 } } } },
      200,
    );
    expect(updated.results.map((r: any) => r.status)).toEqual(['updated', 'updated']);
    const partly = await answer('POST', statuses, {}, { compound_statuses_by_taskforce: { [one]: { RUNNING: { tasking: 1 } }, 'TF-00000000-00000000-00000000-00000000': { IDLE: { x: 1 } } } }, 207);
    expect(partly.results.map((r: any) => r.status).sort()).toEqual(['failed', 'updated']);
    await answer('POST', statuses, {}, { compound_statuses_by_taskforce: { [one]: { RUNNING: { tasking: 'two' } } } }, 400);
    const reported = await answer('GET', '/v1/taskforces/{taskforce_uuid}', { taskforce_uuid: one }, undefined, 200, { whole: true });
    expect(reported).toMatchObject({ compound_statuses: { RUNNING: { tasking: 1 } }, top_task_errors: { 'exit 1': 3 } });
  });

  it('abort and finished: the summary, and 404', async () => {
    const summary = await answer('POST', '/v1/workflows/{workflow_id}/actions/finished', { workflow_id: second.workflow.workflow_id }, undefined, 200);
    expect(summary).toEqual({ workflow_id: second.workflow.workflow_id, n_taskforces: 2 });
    await answer('POST', '/v1/workflows/{workflow_id}/actions/finished', { workflow_id: 'WF-00000000-00000000' }, undefined, 404);
    await answer('POST', '/v1/workflows/{workflow_id}/actions/abort', { workflow_id: 'WF-00000000-00000000' }, undefined, 404);
    const ended = await answer('GET', '/v1/workflows/{workflow_id}', { workflow_id: second.workflow.workflow_id }, undefined, 200, { whole: true });
    expect(ended.deactivated).toBe('FINISHED');
  });

  it('GET /v1/', async () => {
    expect(await answer('GET', '/v1/', {}, undefined, 200)).toEqual({});
  });

  it('GET /v1/schema/openapi', async () => {
    const document = await answer('GET', '/v1/schema/openapi', {}, undefined, 200);
    expect(document.openapi).toBe('3.1.0');
  });

  it('the check reports a missing field, a wrong type, a stray field and a bad value', async () => {
    const taskforce = structuredClone(first.taskforces[0]);
    const route = ['GET', '/v1/taskforces/{taskforce_uuid}', 200] as const;
    expect(await ewmsResponseErrors(...route, taskforce, { whole: true })).toEqual([]);
    expect(await ewmsResponseErrors(...route, { ...taskforce, n_workers: '4' })).toEqual(expect.arrayContaining([expect.stringMatching(/^\/n_workers must be integer/)]));
    expect(await ewmsResponseErrors(...route, { ...taskforce, phase: 'running' })).toEqual(expect.arrayContaining([expect.stringMatching(/^\/phase must be equal to one of the allowed values/)]));
    expect(await ewmsResponseErrors(...route, { ...taskforce, extra: true })).toEqual(['(the answer) must NOT have additional properties: extra']);
    const { tag: _tag, ...pilotConfig } = taskforce.pilot_config;
    expect(await ewmsResponseErrors(...route, { ...taskforce, pilot_config: pilotConfig })).toEqual(["/pilot_config must have required property 'tag'"]);
    // A document without a field is a valid projection, but not a whole document.
    const { phase: _phase, ...partial } = taskforce;
    expect(await ewmsResponseErrors(...route, partial)).toEqual([]);
    expect(await ewmsResponseErrors(...route, partial, { whole: true })).toEqual(["(the answer) must have required property 'phase'"]);
    expect(await ewmsResponseErrors('POST', '/v1/query/workflows', 200, { workflows: [] })).toEqual(["(the answer) must have required property 'next_after'"]);
    expect(await ewmsResponseErrors('POST', '/v1/query/workflows', 400, { code: '400', error: 'bad' })).toEqual(['/code must be integer']);
    await expect(ewmsResponseErrors('GET', '/v1/taskforces/{taskforce_uuid}', 500, {})).rejects.toThrow(/describes no JSON answer 500/);
    await expect(ewmsResponseErrors('GET', '/v1/jobs', 200, {})).rejects.toThrow(/has no route GET \/v1\/jobs/);
  });

  it('has checked every answer the spec describes', async () => {
    const expected = (await ewmsDescribedAnswers()).filter((answered) => !UNREACHABLE.has(answered));
    expect(expected.length).toBeGreaterThan(40);
    expect(expected.filter((answered) => !checked.has(answered))).toEqual([]);
    // A path of EWMS's that is not a route answers in EWMS's error format.
    expect(await ewms.request('GET', '/v1/workflows/x/nothing')).toEqual({ status: 404, body: { code: 404, error: 'Not Found' } });
  });
});
