import { afterAll, beforeAll, describe, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../../support/server.js';
import { EwmsClient, WORKER_CONFIG } from './ewms-client.js';

const wf = (extra: Record<string, unknown> = {}) => ({
  public_queue_aliases: ['in', 'out'],
  tasks: [{ cluster_locations: ['osg'], input_queue_aliases: ['in'], output_queue_aliases: ['out'], task_image: '/img', task_args: 'x', n_workers: 2, worker_config: WORKER_CONFIG, ...extra }],
});

describe('explore', () => {
  let t: TestServer;
  let ewms: EwmsClient;
  let user: EwmsClient;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { ewms: { tickMs: 100, queryPageRows: 2, locations: { osg: { schedd: 'schedd.example' } } } });
    ewms = new EwmsClient(t.url, await t.server.core.identity.issueJwt('admin'));
    await t.server.core.identity.addUser({ username: 'u', roles: ['user'], password: 'pw-pw-pw-pw' });
    user = new EwmsClient(t.url, await t.server.core.identity.issueJwt('u'));
  });
  afterAll(async () => t?.destroy());
  it('prints', async () => {
    const show = async (label: string, p: Promise<any>) => { const a = await p; console.log(label, a.status, JSON.stringify(a.body)?.slice(0, 400)); return a; };
    const c = await show('create', ewms.request('POST', '/v1/workflows', wf()));
    const id = c.body.workflow.workflow_id; const task = c.body.task_directives[0].task_id; const tf = c.body.taskforces[0].taskforce_uuid;
    await show('submit early', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf}`, { cluster_id: 1, n_workers: 1, submit_dict: {}, job_event_log_fpath: '/x' }));
    await show('submit-failed early', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf}/failed`, { error: 'x' }));
    await show('rm early', ewms.request('POST', `/v1/tms/condor-rm/taskforces/${tf}`));
    await show('complete early', ewms.request('POST', `/v1/tms/condor-complete/taskforces/${tf}`, { condor_complete_ts: 5 }));
    const c2 = await show('create2', ewms.request('POST', '/v1/workflows', wf({ task_args: 'two' })));
    const tf2 = c2.body.taskforces[0].taskforce_uuid; const id2 = c2.body.workflow.workflow_id; const task2 = c2.body.task_directives[0].task_id;
    await eventually(async () => ((await ewms.ok('GET', `/v1/taskforces/${tf2}`)).phase === 'pending-starter' ? true : undefined));
    await show('starter ok', ewms.request('GET', '/v1/tms/pending-starter/taskforces', { schedd: 'schedd.example' }));
    await show('submit', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf2}`, { cluster_id: 7, n_workers: 2, submit_dict: { a: 1 }, job_event_log_fpath: '/x' }));
    await show('submit again', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf2}`, { cluster_id: 7, n_workers: 2, submit_dict: { a: 1 }, job_event_log_fpath: '/x' }));
    await show('submit other cluster', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf2}`, { cluster_id: 8, n_workers: 2, submit_dict: { a: 1 }, job_event_log_fpath: '/x' }));
    await show('submit failed after', ewms.request('POST', `/v1/tms/condor-submit/taskforces/${tf2}/failed`, { error: 'x' }));
    const doc = await ewms.ok('GET', `/v1/taskforces/${tf2}`); console.log(JSON.stringify(doc.phase_change_log.map((e: any) => e.target_phase)));
    await show('aw', ewms.request('POST', `/v1/task-directives/${task2}/actions/add-workers`, { cluster_location: 'osg', n_workers: 1 }));
    await show('aw again', ewms.request('POST', `/v1/task-directives/${task2}/actions/add-workers`, { cluster_location: 'osg', n_workers: 1 }));
    await show('aw null', ewms.request('POST', `/v1/task-directives/${task2}/actions/add-workers`, { cluster_location: 'osg', n_workers: null }));
    await show('abort', ewms.request('POST', `/v1/workflows/${id2}/actions/abort`));
    await show('abort again', ewms.request('POST', `/v1/workflows/${id2}/actions/abort`));
    await show('finished after abort', ewms.request('POST', `/v1/workflows/${id2}/actions/finished`));
    await show('aw deactivated', ewms.request('POST', `/v1/task-directives/${task2}/actions/add-workers`, { cluster_location: 'osg', n_workers: 1 }));
    await show('aw deactivated bad loc', ewms.request('POST', `/v1/task-directives/${task2}/actions/add-workers`, { cluster_location: 'mars', n_workers: 1 }));
    const mq = c2.body.task_directives[0].input_queues[0];
    await show('publish closed', ewms.request('POST', `/v1/mqs/queues/${mq}/messages`, { messages: ['a'] }));
    await show('stopper', ewms.request('GET', '/v1/tms/pending-stopper/taskforces', { schedd: 'schedd.example' }));
    await show('stopper other', ewms.request('GET', '/v1/tms/pending-stopper/taskforces', { schedd: 'nothing' }));
    await show('rm', ewms.request('POST', `/v1/tms/condor-rm/taskforces/${tf2}`));
    await show('rm failed', ewms.request('POST', `/v1/tms/condor-rm/taskforces/${tf2}/failed`, { error: 'x' }));
    await show('rm failed nobody', ewms.request('POST', `/v1/tms/condor-rm/taskforces/${tf2}/failed`));
    await show('complete', ewms.request('POST', `/v1/tms/condor-complete/taskforces/${tf2}`, { condor_complete_ts: 5 }));
    await show('complete again', ewms.request('POST', `/v1/tms/condor-complete/taskforces/${tf2}`, { condor_complete_ts: 5 }));
    const doc2 = await ewms.ok('GET', `/v1/taskforces/${tf2}`); console.log(JSON.stringify(doc2.phase_change_log.map((e: any) => [e.target_phase, e.was_successful])));
    await show('statuses', ewms.request('POST', '/v1/tms/statuses/taskforces', { top_task_errors_by_taskforce: { [tf2]: { a: 1 } }, compound_statuses_by_taskforce: { [tf2]: { s: { r: 1 } } } }));
    await show('statuses empty map', ewms.request('POST', '/v1/tms/statuses/taskforces', { top_task_errors_by_taskforce: {} }));
    const none = await fetch(`${t.url}/v1/workflows/${id}`); console.log('nocred', none.status, await none.text());
    const bad = await fetch(`${t.url}/v1/workflows/${id}`, { headers: { authorization: 'Bearer garbage' } }); console.log('badcred', bad.status, await bad.text());
    await show('user tms', user.request('GET', '/v1/tms/pending-starter/taskforces', { schedd: 'x' }));
    await show('user tms post', user.request('POST', `/v1/tms/condor-rm/taskforces/${tf2}`));
    await show('user other wf', user.request('GET', `/v1/workflows/${id}`));
    await show('user abort other wf', user.request('POST', `/v1/workflows/${id}/actions/abort`));
    await show('v1 root', ewms.request('GET', '/v1/'));
    await show('abort unknown', ewms.request('POST', `/v1/workflows/nope/actions/abort`));
    await show('get unknown tf', ewms.request('GET', `/v1/taskforces/nope`));
    await show('get unknown td', ewms.request('GET', `/v1/task-directives/nope`));
    await show('get unknown wf', ewms.request('GET', `/v1/workflows/nope`));
    const body = wf({ task_args: 'replay' });
    const a1 = await ewms.ok('POST', '/v1/workflows', body); const a2 = await ewms.ok('POST', '/v1/workflows', body);
    console.log('replay same', a1.workflow.workflow_id === a2.workflow.workflow_id);
    const k1 = await ewms.request('POST', '/v1/workflows', wf({ task_args: 'k1' }), { 'idempotency-key': 'kk' });
    const k2 = await ewms.request('POST', '/v1/workflows', wf({ task_args: 'k2' }), { 'idempotency-key': 'kk' });
    console.log('key same', k1.body.workflow.workflow_id === k2.body.workflow.workflow_id, k2.body.task_directives[0].task_args);
    await show('schema', ewms.request('GET', '/v1/schema/openapi'));
  });
});
