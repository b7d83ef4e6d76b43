import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskDirectiveDoc, TaskforceDoc, WorkflowCollection, WorkflowDoc } from '../../src/core/workflow.js';
import { findDocs, type DocQueryOptions, type DocQueryRequest } from '../../src/store/doc-query.js';
import { openStore, type Store } from '../../src/store/open.js';
import { createTestDatabase, STORES, type TestDatabase } from '../support/stores.js';

const LIMITS: DocQueryOptions = { pageRows: 1000, pageBytes: 10 * 1024 * 1024 };

function workflow(id: string, overrides: Partial<WorkflowDoc> = {}): WorkflowDoc {
  return { workflow_id: id, timestamp: 1_700_000_000.5, priority: 10, deactivated: null, deactivated_ts: null, ...overrides };
}

function directive(id: string, workflowId: string, overrides: Partial<TaskDirectiveDoc> = {}): TaskDirectiveDoc {
  return {
    task_id: id,
    workflow_id: workflowId,
    cluster_locations: ['sub-1'],
    task_image: '/cvmfs/icecube.opensciencegrid.org/containers/realtime/skymap_scanner:3.21.2',
    task_args: 'python -m skymap_scanner.client --infile {{INFILE}} --outfile {{OUTFILE}}',
    task_env: {},
    init_image: '',
    init_args: '',
    init_env: {},
    timestamp: 1_700_000_001,
    input_queues: [`MQ-${id}-in`],
    output_queues: [`MQ-${id}-out`],
    ...overrides,
  };
}

function taskforce(uuid: string, overrides: Partial<TaskforceDoc> = {}): TaskforceDoc {
  return {
    taskforce_uuid: uuid,
    task_id: 'TK-1',
    workflow_id: 'WF-1',
    timestamp: 1_700_000_002,
    priority: 10,
    collector: null,
    schedd: 'gantry@sub-1',
    n_workers: 4,
    pilot_config: { tag: 'latest', image_source: 'auto', environment: {}, input_files: [] },
    worker_config: {
      do_transfer_worker_stdouterr: true,
      max_worker_runtime: 86_400,
      n_cores: 1,
      priority: 0,
      worker_disk: '8G',
      worker_memory: '4G',
      condor_requirements: '',
    },
    cluster_id: null,
    submit_dict: {},
    job_event_log_fpath: '',
    phase: 'pre-launch',
    phase_change_log: [],
    compound_statuses: {},
    top_task_errors: {},
    ...overrides,
  };
}

const change = (target_phase: TaskforceDoc['phase'], was_successful: boolean, source_event_time: number | null, timestamp: number) => ({
  target_phase,
  timestamp,
  was_successful,
  source_event_time,
  source_entity: 'TMS',
  context: '',
});

/** A: running with a log and statuses; B: failed to start; C: ended, fields missing; D: no log at all. */
function fixtureTaskforces(): Record<string, unknown>[] {
  const a = taskforce('TF-A', {
    phase: 'condor-submit',
    cluster_id: 101,
    schedd: 'Zeta.schedd',
    pilot_config: { tag: '1.2.3', image_source: 'cvmfs', environment: { FOO: 'bar', LIST: ['x', 'y'] }, input_files: ['/data/a.json'] },
    phase_change_log: [change('pre-launch', true, null, 100), change('condor-submit', true, 1_700_000_100, 200)],
    compound_statuses: { RUNNING: { tasking: 2, idle: 1 } },
    top_task_errors: { 'ValueError: bad "x"': 3 },
  });
  const b = taskforce('TF-B', {
    phase: 'pending-starter',
    n_workers: null,
    worker_config: { ...a.worker_config, n_cores: 4, worker_disk: 8 },
    phase_change_log: [change('pending-starter', false, 1_700_000_050, 150)],
  });
  const { cluster_id: _dropped, ...c } = taskforce('TF-C', {
    phase: 'condor-complete',
    n_workers: 10,
    collector: 'old-collector' as never,
    schedd: 'alpha.schedd',
    worker_config: { ...a.worker_config, n_cores: 8, worker_disk: '16G' },
  });
  const { phase_change_log: _none, ...d } = taskforce('TF-D', { n_workers: 2, priority: 5, cluster_id: 102 });
  return [a, b, c, d];
}

describe.each(STORES)('document queries on %s', (kind) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    store = await openStore({ database: database.database, dataDir: database.dataDir });
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function insertTaskforces(docs: readonly object[]): Promise<void> {
    for (const doc of docs as readonly Record<string, unknown>[]) {
      await store.db
        .insertInto('wf_taskforces')
        .values({
          taskforce_uuid: doc.taskforce_uuid as string,
          workflow_id: doc.workflow_id as string,
          task_id: doc.task_id as string,
          phase: doc.phase as string,
          schedd: (doc.schedd as string | undefined) ?? '',
          request_digest: '',
          created_at: 0,
          doc: JSON.stringify(doc),
        })
        .execute();
    }
  }

  async function insertDirectives(docs: readonly TaskDirectiveDoc[]): Promise<void> {
    for (const doc of docs) await store.db.insertInto('wf_task_directives').values({ task_id: doc.task_id, workflow_id: doc.workflow_id, doc: JSON.stringify(doc) }).execute();
  }

  async function insertWorkflow(doc: WorkflowDoc, owner: string): Promise<void> {
    await store.db
      .insertInto('wf_workflows')
      .values({ workflow_id: doc.workflow_id, job_id: `job-${doc.workflow_id}`, owner_id: owner, request_digest: '', created_at: 0, doc: JSON.stringify(doc) })
      .execute();
  }

  const find = (collection: WorkflowCollection, request: DocQueryRequest, options: DocQueryOptions = LIMITS) => findDocs(store.db, store.dialect, collection, request, options);

  /** The ids of every matching document, in order (one page). */
  async function ids(query: unknown, collection: WorkflowCollection = 'taskforces'): Promise<string[]> {
    const page = await find(collection, { query });
    expect(page.nextAfter).toBeNull();
    const key = collection === 'taskforces' ? 'taskforce_uuid' : collection === 'workflows' ? 'workflow_id' : 'task_id';
    return page.docs.map((doc) => doc[key] as string);
  }

  describe('with four taskforces', () => {
    beforeEach(async () => {
      await insertTaskforces(fixtureTaskforces());
    });

    it('answers every document, parsed and whole, for an empty query', async () => {
      const page = await find('taskforces', { query: {} });
      expect(page.docs).toEqual(fixtureTaskforces());
      expect(page.nextAfter).toBeNull();
    });

    it('matches plain equality on strings, numbers, booleans and whole objects', async () => {
      expect(await ids({ phase: 'condor-submit' })).toEqual(['TF-A']);
      expect(await ids({ n_workers: 10 })).toEqual(['TF-C']);
      expect(await ids({ n_workers: 10.0, phase: 'condor-complete' })).toEqual(['TF-C']);
      expect(await ids({ 'worker_config.do_transfer_worker_stdouterr': true })).toEqual(['TF-A', 'TF-B', 'TF-C', 'TF-D']);
      expect(await ids({ 'worker_config.do_transfer_worker_stdouterr': false })).toEqual([]);
      // A number never equals its string, nor a string its number.
      expect(await ids({ 'worker_config.worker_disk': 8 })).toEqual(['TF-B']);
      expect(await ids({ 'worker_config.worker_disk': '8' })).toEqual([]);
      expect(await ids({ cluster_id: '101' })).toEqual([]);
      // Key order does not matter; every key must be there, and no other.
      const config = { ...taskforce('x').worker_config };
      const reversed = Object.fromEntries(Object.entries(config).reverse());
      expect(await ids({ worker_config: reversed, phase: 'pre-launch' })).toEqual(['TF-D']);
      expect(await ids({ worker_config: { n_cores: 1 } })).toEqual([]);
      expect(await ids({ compound_statuses: { RUNNING: { idle: 1, tasking: 2 } } })).toEqual(['TF-A']);
      expect(await ids({ compound_statuses: {} })).toEqual(['TF-B', 'TF-C', 'TF-D']);
    });

    it('matches null for null and for missing fields, and $ne null for present ones', async () => {
      expect(await ids({ cluster_id: null })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ cluster_id: { $eq: null } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ cluster_id: { $ne: null } })).toEqual(['TF-A', 'TF-D']);
      expect(await ids({ n_workers: null })).toEqual(['TF-B']);
      expect(await ids({ 'compound_statuses.HELD': null })).toEqual(['TF-A', 'TF-B', 'TF-C', 'TF-D']);
    });

    it('tests presence with $exists, null counting as present', async () => {
      expect(await ids({ cluster_id: { $exists: true } })).toEqual(['TF-A', 'TF-B', 'TF-D']);
      expect(await ids({ cluster_id: { $exists: false } })).toEqual(['TF-C']);
      expect(await ids({ phase_change_log: { $exists: false } })).toEqual(['TF-D']);
      expect(await ids({ 'compound_statuses.RUNNING.tasking': { $exists: true } })).toEqual(['TF-A']);
    });

    it('matches $ne and $nin on documents that lack the field', async () => {
      expect(await ids({ collector: { $ne: 'old-collector' } })).toEqual(['TF-A', 'TF-B', 'TF-D']);
      expect(await ids({ cluster_id: { $ne: 101 } })).toEqual(['TF-B', 'TF-C', 'TF-D']);
      expect(await ids({ cluster_id: { $nin: [101, 102] } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ cluster_id: { $nin: [null] } })).toEqual(['TF-A', 'TF-D']);
      expect(await ids({ phase: { $nin: [] } })).toEqual(['TF-A', 'TF-B', 'TF-C', 'TF-D']);
    });

    it('matches $in against any of its values, of mixed types, null included', async () => {
      expect(await ids({ phase: { $in: ['condor-submit', 'pending-starter'] } })).toEqual(['TF-A', 'TF-B']);
      expect(await ids({ n_workers: { $in: [null, 10, '4'] } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ cluster_id: { $in: [null] } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ 'worker_config.worker_disk': { $in: [8, '16G', true] } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ compound_statuses: { $in: [{ RUNNING: { tasking: 2, idle: 1 } }, 'x'] } })).toEqual(['TF-A']);
      expect(await ids({ phase: { $in: [] } })).toEqual([]);
    });

    it('compares numbers with numbers and strings with strings, by code point', async () => {
      expect(await ids({ 'worker_config.n_cores': { $gt: 1 } })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ 'worker_config.n_cores': { $gte: 1, $lt: 8 } })).toEqual(['TF-A', 'TF-B', 'TF-D']);
      expect(await ids({ 'worker_config.n_cores': { $gt: 1, $lt: 8 } })).toEqual(['TF-B']);
      expect(await ids({ 'worker_config.n_cores': { $lte: 4.5 } })).toEqual(['TF-A', 'TF-B', 'TF-D']);
      // worker_disk is "8G", 8, "16G", "8G": a string bound skips the number and a number bound the strings.
      expect(await ids({ 'worker_config.worker_disk': { $gt: '10G' } })).toEqual(['TF-A', 'TF-C', 'TF-D']);
      expect(await ids({ 'worker_config.worker_disk': { $gte: 0 } })).toEqual(['TF-B']);
      expect(await ids({ 'worker_config.worker_disk': { $lt: 'A' } })).toEqual(['TF-A', 'TF-C', 'TF-D']);
      // "Zeta…" sorts before "alpha…" by code point, whatever the database's collation.
      expect(await ids({ schedd: { $lt: 'a' } })).toEqual(['TF-A']);
      expect(await ids({ schedd: { $gte: 'a' } })).toEqual(['TF-B', 'TF-C', 'TF-D']);
      // Missing and null values never compare.
      expect(await ids({ cluster_id: { $lt: 1000 } })).toEqual(['TF-A', 'TF-D']);
    });

    it('walks every element of phase_change_log for a dotted path', async () => {
      expect(await ids({ 'phase_change_log.target_phase': 'condor-submit' })).toEqual(['TF-A']);
      expect(await ids({ 'phase_change_log.was_successful': false })).toEqual(['TF-B']);
      expect(await ids({ 'phase_change_log.timestamp': { $gte: 150 } })).toEqual(['TF-A', 'TF-B']);
      // Any element may satisfy each operator: 100 < 120 for one, 200 > 180 for the other.
      expect(await ids({ 'phase_change_log.timestamp': { $lt: 120, $gt: 180 } })).toEqual(['TF-A']);
      expect(await ids({ 'phase_change_log.target_phase': { $in: ['pending-starter', 'pre-launch'] } })).toEqual(['TF-A', 'TF-B']);
      // Negations hold when no element matches, so also for an empty or missing log.
      expect(await ids({ 'phase_change_log.target_phase': { $ne: 'pre-launch' } })).toEqual(['TF-B', 'TF-C', 'TF-D']);
      expect(await ids({ 'phase_change_log.target_phase': { $nin: ['pre-launch', 'pending-starter'] } })).toEqual(['TF-C', 'TF-D']);
      // Null: an element whose field is null or missing, or no log at all.
      expect(await ids({ 'phase_change_log.source_event_time': null })).toEqual(['TF-A', 'TF-D']);
      expect(await ids({ 'phase_change_log.context': { $exists: true } })).toEqual(['TF-A', 'TF-B']);
      expect(await ids({ 'phase_change_log.context': { $exists: false } })).toEqual(['TF-C', 'TF-D']);
      // A position picks one element.
      expect(await ids({ 'phase_change_log.0.target_phase': 'pre-launch' })).toEqual(['TF-A']);
      expect(await ids({ 'phase_change_log.1.target_phase': 'pre-launch' })).toEqual([]);
      // The whole array, or one whole element.
      expect(await ids({ phase_change_log: [] })).toEqual(['TF-C']);
      expect(await ids({ phase_change_log: change('pending-starter', false, 1_700_000_050, 150) })).toEqual(['TF-B']);
    });

    it('reads any key below a free-form map, with array semantics there too', async () => {
      expect(await ids({ 'pilot_config.environment.FOO': 'bar' })).toEqual(['TF-A']);
      expect(await ids({ 'pilot_config.environment.LIST': 'y' })).toEqual(['TF-A']);
      expect(await ids({ 'pilot_config.environment.LIST': ['x', 'y'] })).toEqual(['TF-A']);
      expect(await ids({ 'pilot_config.environment.LIST': ['y', 'x'] })).toEqual([]);
      expect(await ids({ 'compound_statuses.RUNNING.tasking': { $gte: 2 } })).toEqual(['TF-A']);
      expect(await ids({ 'top_task_errors.ValueError: bad "x"': 3 })).toEqual(['TF-A']);
      expect(await ids({ 'pilot_config.input_files': '/data/a.json' })).toEqual(['TF-A']);
    });

    it('binds values and keys, never splicing them into the SQL', async () => {
      expect(await ids({ phase: "x' or '1'='1" })).toEqual([]);
      expect(await ids({ "submit_dict.a') or 1=1 --": 'x' })).toEqual([]);
      expect(await ids({ 'top_task_errors.x"]\\\'': { $exists: true } })).toEqual([]);
      expect(await ids({ schedd: { $gt: "' or 1=1 --" } })).toEqual(['TF-A', 'TF-B', 'TF-C', 'TF-D']);
    });

    it('combines filters with $and, $or and $nor, nested', async () => {
      expect(await ids({ $or: [{ phase: 'condor-submit' }, { n_workers: 10 }] })).toEqual(['TF-A', 'TF-C']);
      expect(await ids({ $and: [{ 'worker_config.n_cores': { $gte: 4 } }, { cluster_id: null }] })).toEqual(['TF-B', 'TF-C']);
      expect(await ids({ $nor: [{ phase: 'condor-submit' }, { n_workers: 10 }] })).toEqual(['TF-B', 'TF-D']);
      expect(await ids({ $or: [{}, { phase: 'nothing' }] })).toEqual(['TF-A', 'TF-B', 'TF-C', 'TF-D']);
      expect(await ids({ $nor: [{}] })).toEqual([]);
      expect(await ids({ priority: 10, $or: [{ $and: [{ phase: 'pending-starter' }, { n_workers: null }] }, { 'phase_change_log.target_phase': 'condor-submit' }] })).toEqual([
        'TF-A',
        'TF-B',
      ]);
    });

    it('projects top-level and dotted fields, nested as MongoDB does', async () => {
      const page = await find('taskforces', {
        query: { taskforce_uuid: { $in: ['TF-A', 'TF-D'] } },
        projection: ['taskforce_uuid', 'worker_config.n_cores', 'phase_change_log.target_phase', 'compound_statuses.RUNNING', 'pilot_config.environment.NONE'],
      });
      expect(page.docs).toEqual([
        {
          taskforce_uuid: 'TF-A',
          pilot_config: { environment: {} },
          worker_config: { n_cores: 1 },
          phase_change_log: [{ target_phase: 'pre-launch' }, { target_phase: 'condor-submit' }],
          compound_statuses: { RUNNING: { tasking: 2, idle: 1 } },
        },
        { taskforce_uuid: 'TF-D', pilot_config: { environment: {} }, worker_config: { n_cores: 1 }, compound_statuses: {} },
      ]);
      const whole = await find('taskforces', { query: { taskforce_uuid: 'TF-B' }, projection: ['worker_config.n_cores', 'worker_config', 'cluster_id'] });
      expect(whole.docs).toEqual([{ worker_config: fixtureTaskforces()[1]!.worker_config, cluster_id: null }]);
      const missing = await find('taskforces', { query: { taskforce_uuid: 'TF-C' }, projection: ['cluster_id'] });
      expect(missing.docs).toEqual([{}]);
    });
  });

  it('matches an element of an array of scalars, the whole array, or one position', async () => {
    await insertDirectives([
      directive('TK-1', 'WF-1', { cluster_locations: ['sub-1', 'sub-2'], task_env: { EWMS_TASK_TIMEOUT: '600' } }),
      directive('TK-2', 'WF-1', { cluster_locations: ['sub-2'], input_queues: [] }),
      directive('TK-3', 'WF-1', { cluster_locations: ['sub-3', 'sub-1'] }),
    ]);
    expect(await ids({ cluster_locations: 'sub-1' }, 'task-directives')).toEqual(['TK-1', 'TK-3']);
    expect(await ids({ cluster_locations: ['sub-1', 'sub-2'] }, 'task-directives')).toEqual(['TK-1']);
    expect(await ids({ cluster_locations: ['sub-2', 'sub-1'] }, 'task-directives')).toEqual([]);
    expect(await ids({ cluster_locations: { $in: ['sub-3', 'nowhere'] } }, 'task-directives')).toEqual(['TK-3']);
    expect(await ids({ cluster_locations: { $ne: 'sub-2' } }, 'task-directives')).toEqual(['TK-3']);
    expect(await ids({ cluster_locations: { $gt: 'sub-2' } }, 'task-directives')).toEqual(['TK-3']);
    expect(await ids({ 'cluster_locations.0': 'sub-3' }, 'task-directives')).toEqual(['TK-3']);
    expect(await ids({ 'cluster_locations.1': { $exists: true } }, 'task-directives')).toEqual(['TK-1', 'TK-3']);
    expect(await ids({ input_queues: [] }, 'task-directives')).toEqual(['TK-2']);
    expect(await ids({ 'task_env.EWMS_TASK_TIMEOUT': '600' }, 'task-directives')).toEqual(['TK-1']);
  });

  it('queries workflows, and only an owner’s documents when asked', async () => {
    await insertWorkflow(workflow('WF-1'), 'alice');
    await insertWorkflow(workflow('WF-2', { deactivated: 'ABORTED', deactivated_ts: 1_700_000_900 }), 'bob');
    await insertDirectives([directive('TK-1', 'WF-1'), directive('TK-2', 'WF-2')]);
    await insertTaskforces([taskforce('TF-1', { workflow_id: 'WF-1' }), taskforce('TF-2', { workflow_id: 'WF-2' })]);
    expect(await ids({ deactivated: null }, 'workflows')).toEqual(['WF-1']);
    expect(await ids({ deactivated: { $in: ['ABORTED', 'FINISHED'] } }, 'workflows')).toEqual(['WF-2']);
    const bobs = { ...LIMITS, owner: 'bob' };
    expect((await find('workflows', { query: {} }, bobs)).docs.map((doc) => doc.workflow_id)).toEqual(['WF-2']);
    expect((await find('task-directives', { query: {} }, bobs)).docs.map((doc) => doc.task_id)).toEqual(['TK-2']);
    expect((await find('taskforces', { query: {} }, bobs)).docs.map((doc) => doc.taskforce_uuid)).toEqual(['TF-2']);
    expect((await find('taskforces', { query: { workflow_id: 'WF-1' } }, bobs)).docs).toEqual([]);
  });

  it.each<[string, DocQueryRequest, string]>([
    ['a query that is not an object', { query: [] }, `invalid 'query': must be an object`],
    ['a missing query', { query: undefined }, `invalid 'query': must be an object`],
    ['$where', { query: { $where: 'this.n_workers > 1' } }, 'unknown query operator: $where'],
    ['$expr', { query: { $expr: { $gt: ['$n_workers', 1] } } }, 'unknown query operator: $expr'],
    ['$regex', { query: { phase: { $regex: '^condor' } } }, 'unknown query operator: $regex'],
    ['$function', { query: { phase: { $function: { body: 'return true' } } } }, 'unknown query operator: $function'],
    ['an operator in a nested filter', { query: { $or: [{ phase: { $elemMatch: {} } }] } }, 'unknown query operator: $elemMatch'],
    ['an unknown field', { query: { foo: 1 } }, 'unknown field in query: foo'],
    ['an unknown sub-field', { query: { 'worker_config.bar': 1 } }, 'unknown field in query: worker_config.bar'],
    ['a key below a scalar', { query: { 'phase.x': 1 } }, 'unknown field in query: phase.x'],
    ['an unknown key of a log entry', { query: { 'phase_change_log.who': 'x' } }, 'unknown field in query: phase_change_log.who'],
    ['an empty path segment', { query: { 'worker_config..n_cores': 1 } }, 'unknown field in query: worker_config..n_cores'],
    ['a field of another collection', { query: { task_image: 'x' } }, 'unknown field in query: task_image'],
    ['a field operator at the top', { query: { $in: ['a'] } }, 'operator $in must be inside a field condition, as in {"field": {"$in": ...}}'],
    ['$in without an array', { query: { phase: { $in: 'condor-rm' } } }, '$in on phase needs an array'],
    ['$nin without an array', { query: { phase: { $nin: { a: 1 } } } }, '$nin on phase needs an array'],
    ['$or in a field condition', { query: { phase: { $or: [] } } }, 'operator $or must be at the top of a filter, not inside the condition on phase'],
    ['an empty $or', { query: { $or: [] } }, '$or needs a non-empty array of filters'],
    ['an $and of non-filters', { query: { $and: [1] } }, '$and needs a non-empty array of filters'],
    ['$gt with a boolean', { query: { n_workers: { $gt: true } } }, '$gt on n_workers needs a number or a string'],
    ['$lte with an object', { query: { n_workers: { $lte: {} } } }, '$lte on n_workers needs a number or a string'],
    ['$exists with a string', { query: { n_workers: { $exists: 'yes' } } }, '$exists on n_workers needs true or false'],
    ['operators mixed with fields', { query: { worker_config: { $ne: null, n_cores: 1 } } }, 'invalid condition on worker_config: operators and plain fields cannot be mixed'],
    ['filters nested too deep', { query: { $and: [{ $or: [{ $and: [{ $or: [{ $and: [{ $or: [{ phase: 'x' }] }] }] }] }] }] } }, 'query nests deeper than 6 levels'],
    ['a value nested too deep', { query: { submit_dict: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }, 'query nests deeper than 6 levels'],
    ['too many conditions', { query: { $or: Array.from({ length: 101 }, (_, i) => ({ n_workers: i })) } }, 'query has more than 100 conditions'],
    ['too many empty filters', { query: { $or: Array.from({ length: 101 }, () => ({})) } }, 'query has more than 100 conditions'],
    ['too many $in values', { query: { n_workers: { $in: Array.from({ length: 1001 }, (_, i) => i) } } }, '$in on n_workers takes at most 1000 values'],
    ['a projection that is not an array', { query: {}, projection: 'phase' }, `invalid 'projection': must be a non-empty array of field names`],
    ['a projection of non-strings', { query: {}, projection: ['phase', 1] }, `invalid 'projection': must be a non-empty array of field names`],
    ['an empty projection', { query: {}, projection: [] }, `invalid 'projection': must be a non-empty array of field names`],
    ['an unknown projected field', { query: {}, projection: ['phase', 'foo'] }, 'unknown field in projection: foo'],
    ['an unknown projected sub-field', { query: {}, projection: ['pilot_config.nope'] }, 'unknown field in projection: pilot_config.nope'],
    ['a projected array position', { query: {}, projection: ['phase_change_log.0.context'] }, 'array positions are not supported in projection: phase_change_log.0.context'],
    ['an after that is not a string', { query: {}, after: 12 }, `invalid 'after': must be a string`],
    ['an after that is not base64', { query: {}, after: 'not a cursor!' }, `invalid 'after': malformed cursor`],
    ['an after of other JSON', { query: {}, after: Buffer.from('{"c":"taskforces","s":"x"}').toString('base64url') }, `invalid 'after': malformed cursor`],
    ['an after that is not JSON', { query: {}, after: Buffer.from('seq=5').toString('base64url') }, `invalid 'after': malformed cursor`],
    ['an after of another route', { query: {}, after: Buffer.from('{"c":"workflows","s":3}').toString('base64url') }, `invalid 'after': not a cursor from this query route`],
  ])('refuses %s', async (_name, request, message) => {
    await expect(find('taskforces', request)).rejects.toMatchObject({ name: 'GantryError', code: 'invalid_input', message });
  });

  it('refuses a cursor of one route on another', async () => {
    await insertWorkflow(workflow('WF-1'), 'alice');
    await insertWorkflow(workflow('WF-2'), 'alice');
    const page = await find('workflows', { query: {} }, { ...LIMITS, pageRows: 1 });
    expect(page.nextAfter).not.toBeNull();
    await expect(find('taskforces', { query: {}, after: page.nextAfter })).rejects.toMatchObject({
      code: 'invalid_input',
      message: `invalid 'after': not a cursor from this query route`,
    });
  });

  /** Every page from the start, following `next_after`; `between` runs after each page. */
  async function pageThrough(request: DocQueryRequest, options: DocQueryOptions, between: (pageNumber: number) => Promise<void> = async () => undefined) {
    const pages: Record<string, unknown>[][] = [];
    let after: string | null = null;
    do {
      const page = await find('taskforces', { ...request, after }, options);
      pages.push(page.docs);
      after = page.nextAfter;
      await between(pages.length);
    } while (after !== null && pages.length < 100);
    return pages;
  }

  it('pages through every match exactly once, with no empty last page', async () => {
    await insertTaskforces(Array.from({ length: 57 }, (_, i) => taskforce(`TF-${i}`, { n_workers: i })));
    const pages = await pageThrough({ query: {} }, { ...LIMITS, pageRows: 10 });
    expect(pages.map((docs) => docs.length)).toEqual([10, 10, 10, 10, 10, 7]);
    expect(pages.flat().map((doc) => doc.n_workers)).toEqual(Array.from({ length: 57 }, (_, i) => i));

    // 20 even ones: the second page is the last and says so.
    const even = await pageThrough({ query: { n_workers: { $in: Array.from({ length: 29 }, (_, i) => i * 2).slice(0, 20) } } }, { ...LIMITS, pageRows: 10 });
    expect(even.map((docs) => docs.length)).toEqual([10, 10]);
    const single = await find('taskforces', { query: { n_workers: 3 } }, { ...LIMITS, pageRows: 1 });
    expect(single.docs).toHaveLength(1);
    expect(single.nextAfter).toBeNull();
  });

  it('keeps paging stable while documents are inserted', async () => {
    await insertTaskforces(Array.from({ length: 57 }, (_, i) => taskforce(`TF-${i}`, { phase: i % 2 ? 'condor-submit' : 'pre-launch' })));
    let added = 0;
    const pages = await pageThrough({ query: { phase: 'condor-submit' }, projection: ['taskforce_uuid'] }, { ...LIMITS, pageRows: 10 }, async (pageNumber) => {
      if (pageNumber > 2) return;
      await insertTaskforces([taskforce(`TF-new-${added++}`, { phase: 'condor-submit' }), taskforce(`TF-new-${added++}`, { phase: 'pre-launch' })]);
    });
    const seen = pages.flat().map((doc) => doc.taskforce_uuid as string);
    const earlier = Array.from({ length: 57 }, (_, i) => `TF-${i}`).filter((_, i) => i % 2);
    expect(seen).toEqual([...earlier, 'TF-new-0', 'TF-new-2']);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages.every((docs) => docs.length > 0)).toBe(true);
  });

  it('stops a page before its JSON passes the byte budget, keeping at least one document', async () => {
    const docs = Array.from({ length: 30 }, (_, i) => taskforce(`TF-${i}`, { job_event_log_fpath: `/scratch/ewms/${'x'.repeat(i * 7)}.log` }));
    await insertTaskforces(docs);
    const pageBytes = 4000;
    const pages = await pageThrough({ query: {} }, { pageRows: 1000, pageBytes });
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages) {
      expect(page.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(pageBytes);
    }
    // Full pages: the next document would not have fit.
    for (const [i, page] of pages.slice(0, -1).entries()) {
      const next = pages[i + 1]![0]!;
      expect(Buffer.byteLength(JSON.stringify([...page, next]))).toBeGreaterThan(pageBytes);
    }
    expect(pages.flat()).toEqual(docs);

    const tiny = await pageThrough({ query: {}, projection: ['taskforce_uuid'] }, { pageRows: 1000, pageBytes: 1 });
    expect(tiny).toHaveLength(30);
    expect(tiny.every((page) => page.length === 1)).toBe(true);
  });
});
