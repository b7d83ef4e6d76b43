import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';
import { EwmsClient, WORKER_CONFIG } from './ewms-client.js';

/** Who sees what through the query routes: a user their own workflows' objects, a TMS (an `api` user) and admins everything. */
describe('the reach of EWMS queries', () => {
  let t: TestServer;
  const as: Record<string, EwmsClient> = {};

  beforeAll(async () => {
    t = await startTestServer('sqlite', { ewms: { tickMs: 100, locations: { osg: { schedd: 'schedd.example' } } } });
    const identity = t.server.core.identity;
    for (const [username, role] of [['alice', 'user'], ['bob', 'user'], ['tms', 'api']] as const) {
      await identity.addUser({ username, roles: [role], password: 'a-long-password' });
      as[username] = new EwmsClient(t.url, await identity.issueJwt(username));
    }
  });
  afterAll(async () => t?.destroy());

  it("lists alice's taskforces to alice and to the TMS, not to bob", async () => {
    const created = await as.alice!.ok('POST', '/v1/workflows', {
      public_queue_aliases: [],
      tasks: [{ cluster_locations: ['osg'], input_queue_aliases: ['in'], output_queue_aliases: ['out'], task_image: 'x', task_args: 'cat', worker_config: WORKER_CONFIG }],
    });
    const workflowId = created.workflow.workflow_id as string;
    const query = { query: { workflow_id: workflowId }, projection: ['taskforce_uuid', 'schedd'] };
    const expected = [{ taskforce_uuid: created.taskforces[0].taskforce_uuid, schedd: 'schedd.example' }];
    expect((await as.alice!.ok('POST', '/v1/query/taskforces', query)).taskforces).toEqual(expected);
    expect((await as.tms!.ok('POST', '/v1/query/taskforces', query)).taskforces).toEqual(expected);
    expect((await as.bob!.ok('POST', '/v1/query/taskforces', query)).taskforces).toEqual([]);
    expect((await as.bob!.ok('POST', '/v1/query/workflows', { query: { workflow_id: workflowId } })).workflows).toEqual([]);
    expect((await as.bob!.request('GET', `/v1/workflows/${workflowId}`)).status).toBe(404);
  });
});
