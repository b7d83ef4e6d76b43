import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput } from '../../core/errors.js';
import { isRecordState, type RecordState } from '../../core/job-record.js';
import type { Core } from '../../gantry.js';
import type { OmitTagged, RecordFilter } from '../../services/monitoring/record-service.js';
import { parseLineProtocol } from './line-protocol.js';
import { adminRoute, principalOf, userRoute } from '../auth/route-auth.js';
import { deleteJob, editMeta, editMetaByRequest, metricNames, nodeStates, parseBody, startJobRecord, stopJob, tagList } from './payloads.js';
import { cockpitJob, jobMetricWithName } from './render.js';

type IdParams = { Params: { id: string } };

/** Largest body of samples taken at once. */
const WRITE_BODY_LIMIT = 64 * 1024 * 1024;

const METRIC_SCOPES = new Set(['node', 'socket', 'memoryDomain', 'core', 'hwthread', 'accelerator']);

/** cc-backend's wording for a path id that is not an integer. */
function pathInteger(text: string, name: string): number {
  if (!/^-?\d{1,15}$/.test(text)) throw invalidInput(`integer expected in path for ${name}: strconv.ParseInt: parsing "${text}": invalid syntax`);
  return Number(text);
}

function integerParam(name: string, value: string): number {
  if (!/^-?\d{1,15}$/.test(value)) throw invalidInput(`invalid query parameter value: ${name}`);
  return Number(value);
}

/** Every value of a query parameter (repeated ones as Fastify gives them). */
function values(raw: unknown): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

interface ListQuery {
  filter: RecordFilter;
  page: number;
  itemsPerPage: number;
  withMetadata: boolean;
}

/**
 * The job list's query, in cc-backend's spellings (`start-time=<from>-<to>`,
 * `items-per-page`, `with-metadata`, repeated `state`) and the page's
 * (`startTime[from]`, `items_per_page`, `numNodes[from]`, `user`), and Gantry's
 * `jobId`. Any other parameter is 400 `invalid query parameter: <key>`.
 */
function listQuery(query: Record<string, unknown>): ListQuery {
  const result: ListQuery = { filter: {}, page: 1, itemsPerPage: 25, withMetadata: false };
  for (const [key, raw] of Object.entries(query)) {
    const all = values(raw);
    const first = all[0]!;
    switch (key) {
      case 'state': {
        const states: RecordState[] = [];
        for (const state of all.flatMap((value) => value.split(','))) {
          if (!isRecordState(state)) throw invalidInput('invalid query parameter value: state');
          states.push(state);
        }
        result.filter.states = states;
        break;
      }
      case 'cluster':
        result.filter.cluster = first;
        break;
      case 'user':
        result.filter.user = first;
        break;
      case 'project':
        result.filter.project = first;
        break;
      case 'jobId':
        result.filter.batchJobId = integerParam(key, first);
        break;
      case 'start-time': {
        const match = /^(\d+)-(\d+)$/.exec(first);
        if (!match) throw invalidInput('invalid query parameter value: startTime');
        result.filter.startFrom = Number(match[1]);
        result.filter.startTo = Number(match[2]);
        break;
      }
      case 'startTime[from]':
        result.filter.startFrom = integerParam(key, first);
        break;
      case 'startTime[to]':
        result.filter.startTo = integerParam(key, first);
        break;
      case 'numNodes[from]':
        result.filter.numNodesFrom = integerParam(key, first);
        break;
      case 'numNodes[to]':
        result.filter.numNodesTo = integerParam(key, first);
        break;
      case 'page':
        result.page = integerParam(key, first);
        if (result.page < 1) throw invalidInput('page must be >= 1');
        break;
      case 'items-per-page':
      case 'items_per_page':
        result.itemsPerPage = integerParam(key, first);
        if (result.itemsPerPage < 1) throw invalidInput('items-per-page must be >= 1');
        break;
      case 'with-metadata':
        // cc-backend only looks for the key: `with-metadata=false` asks for metadata too.
        result.withMetadata = true;
        break;
      default:
        throw invalidInput(`invalid query parameter: ${key}`);
    }
  }
  return result;
}

/** ClusterCockpit's job routes under /api (admins and API users) and /userapi (a user's own jobs). See docs/cockpit.md. */
export function registerJobRoutes(app: FastifyInstance, core: Core): void {
  const records = core.records;
  const asApi = adminRoute('cockpit', ['admin', 'api']);
  const asUser = userRoute('cockpit');

  const start = async (request: FastifyRequest, reply: FastifyReply) => {
    const record = await records.start(startJobRecord(request.body), principalOf(request));
    // cc-backend answers {"msg": "success"}; the page shows {"id": n}: both.
    return reply.status(201).send({ msg: 'success', id: record.id });
  };
  app.post('/api/jobs/start_job/', asApi, start);
  app.put('/api/jobs/start_job/', asApi, start);

  const stopByRequest = async (request: FastifyRequest) => {
    const body = parseBody(request.body, stopJob);
    if (body.jobId === undefined) throw invalidInput("the field 'jobId' is required");
    const record = await records.findByRequest(body.jobId, body.cluster, body.startTime);
    const stopped = await records.stop(record, { state: body.jobState, stopTime: body.stopTime });
    return cockpitJob(stopped, (await records.view(stopped.id, principalOf(request), false)).tags);
  };
  app.post('/api/jobs/stop_job/', asApi, stopByRequest);
  app.put('/api/jobs/stop_job/', asApi, stopByRequest);

  // The page's form: the job by its database id.
  const stopById = async (request: FastifyRequest<IdParams>) => {
    const body = parseBody(request.body, stopJob);
    const record = await records.get(pathInteger(request.params.id, 'id'));
    const stopped = await records.stop(record, { state: body.jobState, stopTime: body.stopTime });
    return cockpitJob(stopped, (await records.view(stopped.id, principalOf(request), false)).tags);
  };
  app.post<IdParams>('/api/jobs/stop_job/:id', asApi, stopById);
  app.put<IdParams>('/api/jobs/stop_job/:id', asApi, stopById);

  const list = (ownOnly: boolean) => async (request: FastifyRequest) => {
    const actor = principalOf(request);
    const query = listQuery(request.query as Record<string, unknown>);
    const filter = ownOnly ? { ...query.filter, user: actor.username } : query.filter;
    const views = await records.list(filter, { page: query.page, itemsPerPage: query.itemsPerPage }, actor);
    return { jobs: views.map((view) => cockpitJob(view.record, view.tags, { metaData: query.withMetadata })), items: query.itemsPerPage, page: query.page };
  };
  app.get('/api/jobs/', asApi, list(false));
  app.get('/userapi/jobs/', asUser, list(true));

  // GET: the job and all its metric data; POST: the same, for the metrics named in the body.
  const one = (ownOnly: boolean) => async (request: FastifyRequest<IdParams>) => {
    const view = await records.view(pathInteger(request.params.id, 'id'), principalOf(request), ownOnly);
    let names: string[] | undefined;
    if (request.method === 'POST' && request.body !== undefined && (request.body as Buffer).length > 0) names = parseBody(request.body, metricNames, 'decoding request failed');
    const series = await core.metrics.jobMetrics(view.record, { metrics: names });
    return { meta: cockpitJob(view.record, view.tags), data: series.map(jobMetricWithName) };
  };
  app.get<IdParams>('/api/jobs/:id', asApi, one(false));
  app.post<IdParams>('/api/jobs/:id', asApi, one(false));
  app.get<IdParams>('/userapi/jobs/:id', asUser, one(true));
  app.post<IdParams>('/userapi/jobs/:id', asUser, one(true));

  // A job's metrics: cc-backend's {"data": {"jobMetrics": […]}} and the page's {"metrics": [{name, unit, series}]}.
  const metrics = (ownOnly: boolean) => async (request: FastifyRequest<IdParams>, reply: FastifyReply) => {
    const view = await records.view(pathInteger(request.params.id, 'id'), principalOf(request), ownOnly);
    const query = request.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((key) => key !== 'metric' && key !== 'scope');
    if (unknown.length > 0) throw invalidInput(`invalid query parameter: ${unknown[0]}`);
    const scopes = values(query.scope);
    for (const scope of scopes) if (!METRIC_SCOPES.has(scope)) throw invalidInput(`unmarshaling scope failed: ${scope} is not a valid MetricScope`);
    const series = await core.metrics.jobMetrics(view.record, { metrics: values(query.metric), scopes });
    // Both shapes carry the same series: each is turned into JSON once, and placed in both.
    const jobMetrics: string[] = [];
    const pageMetrics: string[] = [];
    for (const one of series) {
      const head = `"name":${JSON.stringify(one.name)},"scope":${JSON.stringify(one.scope)}`;
      const body = `"unit":${JSON.stringify(one.unit)},"timestep":${one.timestep},"series":${JSON.stringify(one.series)}`;
      jobMetrics.push(`{${head},"metric":{${body}}}`);
      pageMetrics.push(`{${head},${body}}`);
    }
    return reply.type('application/json; charset=utf-8').send(`{"data":{"jobMetrics":[${jobMetrics.join(',')}]},"error":null,"metrics":[${pageMetrics.join(',')}]}`);
  };
  app.get<IdParams>('/api/jobs/metrics/:id', asApi, metrics(false));
  app.get<IdParams>('/userapi/jobs/metrics/:id', asUser, metrics(true));

  // ClusterCockpit's metric store: samples in line protocol.
  const write = async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Record<string, unknown>;
    const text = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : typeof request.body === 'string' ? request.body : '';
    const batch = parseLineProtocol(text, {
      cluster: query.cluster === undefined ? undefined : String(query.cluster),
      precision: query.precision === undefined ? undefined : String(query.precision),
      now: Date.now(),
    });
    await core.metrics.ingestBatch(batch);
    return reply.status(200).type('text/plain; charset=utf-8').send('');
  };
  // Collectors send samples in large bodies (cc-metric-collector batches them).
  app.post('/api/write/', { ...asApi, bodyLimit: WRITE_BODY_LIMIT }, write);

  // The Slurm adapter's node states, per cluster.
  const nodestate = async (request: FastifyRequest) => {
    const body = parseBody(request.body, nodeStates);
    await records.reportNodeStates(body.cluster, body.nodes);
    return { msg: 'success' };
  };
  app.post('/api/nodestate/', asApi, nodestate);
  app.put('/api/nodestate/', asApi, nodestate);

  app.get('/api/jobs/used_nodes', asApi, async (request) => {
    const query = request.query as Record<string, unknown>;
    if (query.ts === undefined) throw invalidInput('missing required query parameter: ts');
    const ts = String(query.ts);
    if (!/^\d{1,12}$/.test(ts)) throw invalidInput(`invalid timestamp format: ${ts}`);
    return { usedNodes: await records.usedNodes(Number(ts)) };
  });

  // Gantry's extension: a job's whole archive, as ClusterCockpit keeps it on disk (meta.json and data.json), to download.
  app.get<IdParams>('/api/jobs/archive/:id', asApi, async (request, reply) => {
    const view = await records.view(pathInteger(request.params.id, 'id'), principalOf(request), false);
    const series = await core.metrics.jobMetrics(view.record);
    const data: Record<string, Record<string, unknown>> = {};
    for (const metric of series) (data[metric.name] ??= {})[metric.scope] = { unit: metric.unit, timestep: metric.timestep, series: metric.series };
    const { record } = view;
    void reply.header('content-disposition', `attachment; filename="job-${record.cluster}-${record.batchJobId}-${record.startTime}.json"`);
    return { meta: cockpitJob(record, view.tags), data };
  });

  const tag = async (request: FastifyRequest<IdParams>) => {
    const actor = principalOf(request);
    const record = await records.get(pathInteger(request.params.id, 'id'));
    const view = await records.tag(record, parseBody(request.body, tagList, 'decoding request failed'), actor);
    return cockpitJob(view.record, view.tags);
  };
  app.post<IdParams>('/api/jobs/tag_job/:id', asApi, tag);
  app.patch<IdParams>('/api/jobs/tag_job/:id', asApi, tag);
  app.delete<IdParams>('/api/jobs/tag_job/:id', asApi, async (request) => {
    const actor = principalOf(request);
    const record = await records.get(pathInteger(request.params.id, 'id'));
    const view = await records.untag(record, parseBody(request.body, tagList, 'decoding request failed'), actor);
    return cockpitJob(view.record, view.tags);
  });

  app.delete('/api/tags/', asApi, async (request, reply) => {
    const tags = parseBody(request.body, tagList, 'decoding request failed');
    const removed = await records.removeTags(tags);
    return reply.type('text/plain; charset=utf-8').send(`Deleted Tags from DB: ${removed} successfull of ${tags.length} requested\n`);
  });

  const meta = async (request: FastifyRequest<IdParams>) => {
    const { key, value } = parseBody(request.body, editMeta, 'decoding request failed');
    const record = await records.get(pathInteger(request.params.id, 'id'));
    const edited = await records.editMeta(record, key, value);
    return cockpitJob(edited, (await records.view(edited.id, principalOf(request), false)).tags);
  };
  app.patch<IdParams>('/api/jobs/edit_meta/:id', asApi, meta);
  app.post<IdParams>('/api/jobs/edit_meta/:id', asApi, meta);
  app.patch('/api/jobs/edit_meta/', asApi, async (request) => {
    const body = parseBody(request.body, editMetaByRequest);
    if (body.jobId === undefined) throw invalidInput("the field 'jobId' is required");
    let record = await records.findByRequest(body.jobId, body.cluster, body.startTime);
    for (const { key, value } of body.payload) record = await records.editMeta(record, key, value);
    return cockpitJob(record, (await records.view(record.id, principalOf(request), false)).tags);
  });

  app.delete('/api/jobs/delete_job/', asApi, async (request) => {
    const body = parseBody(request.body, deleteJob);
    if (body.jobId === undefined) throw invalidInput("the field 'jobId' is required");
    const record = await records.findByRequest(body.jobId, body.cluster, body.startTime);
    await records.delete(record);
    return { msg: `Successfully deleted job ${record.id}` };
  });
  app.delete<IdParams>('/api/jobs/delete_job/:id', asApi, async (request) => {
    const record = await records.get(pathInteger(request.params.id, 'id'));
    await records.delete(record);
    return { msg: `Successfully deleted job ${record.id}` };
  });
  app.delete<{ Params: { ts: string } }>('/api/jobs/delete_job_before/:ts', asApi, async (request) => {
    const ts = pathInteger(request.params.ts, 'ts');
    const omit = (request.query as Record<string, unknown>)['omit-tagged'];
    const omitTagged = omit === undefined ? 'none' : String(omit);
    if (!['none', 'all', 'user'].includes(omitTagged)) throw invalidInput('omit-tagged must be one of: none, all, user');
    const count = await records.deleteBefore(ts, omitTagged as OmitTagged);
    return { msg: `Successfully deleted ${count} jobs` };
  });
}
