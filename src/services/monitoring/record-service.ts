import {
  DUPLICATE_WINDOW_SECONDS,
  isRecordState,
  jobStateOfRecord,
  MONITORING_ARCHIVED,
  MONITORING_RUNNING_OR_ARCHIVING,
  type JobRecord,
  type NewJobRecord,
  type RecordState,
  type RecordTag,
} from '../../core/job-record.js';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Principal } from '../../core/identity.js';
import type { JobState } from '../../core/states.js';
import type { Store } from '../../store/open.js';
import * as nodeStatesRepo from '../../store/node-states-repo.js';
import * as recordsRepo from '../../store/records-repo.js';
import type { Writer } from '../writer.js';
import { hostListIncludes, type ClusterInfo } from './clusters.js';

export type { RecordFilter } from '../../store/records-repo.js';

/** A record with the tags the asking user may see. */
export interface RecordView {
  record: JobRecord;
  tags: RecordTag[];
}

export type TagRequest = Pick<RecordTag, 'type' | 'name' | 'scope'>;

export type OmitTagged = 'none' | 'all' | 'user';

const isPrivileged = (actor: Principal): boolean => actor.roles.includes('admin') || actor.roles.includes('support');
/** ClusterCockpit's dedicated API user: the api role and nothing else. */
const isApiOnly = (actor: Principal): boolean => actor.roles.length === 1 && actor.roles[0] === 'api';

/**
 * Job monitoring records (ClusterCockpit's jobs): started and stopped by a
 * batch system's adapter, listed, tagged, annotated and deleted. Each record
 * is a job of kind `external` whose state follows the record's.
 */
export class RecordService {
  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly clusters: () => readonly ClusterInfo[],
  ) {}

  clusterList(): readonly ClusterInfo[] {
    return this.clusters();
  }

  async start(input: NewJobRecord, actor: Principal): Promise<JobRecord> {
    const cluster = this.clusters().find((candidate) => candidate.name === input.cluster);
    if (!cluster) throw invalidInput(`no such cluster: ${input.cluster}`);
    const subCluster = assignSubCluster(cluster, input);
    if (input.resources.length === 0 || input.user === '') throw invalidInput("'resources' and 'user' should not be empty");
    if (input.numAcc < 0 || input.numHwthreads < 0 || input.numNodes < 1) throw invalidInput("'numNodes', 'numAcc' or 'numHWThreads' invalid");
    if (input.resources.length !== input.numNodes) throw invalidInput(`len(resources) does not equal numNodes (${input.resources.length} vs ${input.numNodes})`);
    for (const tag of input.tags) this.checkTagWrite(actor, tag.scope);
    return this.writer.run(async (uow) => {
      // ClusterCockpit's rule: the same batch job id on the same cluster started less than a day after a stored one is that job again.
      for (const stored of await recordsRepo.findByBatchId(uow.db, input.batchJobId, input.cluster)) {
        if (input.startTime - stored.startTime < DUPLICATE_WINDOW_SECONDS) {
          throw new GantryError('conflict', `a job with that jobId, cluster and startTime already exists: dbid: ${stored.id}, jobid: ${stored.batchJobId}`);
        }
      }
      const job = await uow.insertJob({
        id: newId(),
        kind: 'external',
        owner: input.user,
        name: `${input.cluster}/${input.batchJobId}`,
        description: null,
        state: 'running',
        priority: 0,
        queue: 'external',
        tags: [],
        definition: {},
        inputs: {},
        secrets: {},
        context: { tasks: {} },
        position: 1,
        taskCount: 0,
        result: null,
        error: null,
        progress: 0,
        parentJobId: null,
        parentTaskId: null,
        scheduledJobId: null,
        createdAt: (input.submitTime ?? input.startTime) * 1000,
        scheduledAt: input.startTime * 1000,
        startedAt: input.startTime * 1000,
        completedAt: null,
        failedAt: null,
        cancelledAt: null,
      });
      const { tags, ...fields } = input;
      const record: JobRecord = { ...fields, subCluster, id: job.numId, jobRef: job.id, duration: 0, state: 'running', monitoringStatus: MONITORING_RUNNING_OR_ARCHIVING };
      await recordsRepo.insert(uow.db, record);
      for (const tag of tags) {
        const stored = await recordsRepo.findOrCreateTag(uow.db, tag.type, tag.name, this.scopeOf(actor, tag.scope));
        await recordsRepo.linkTag(uow.db, job.id, stored.id);
      }
      return record;
    });
  }

  /** Finds the record a stop, a metadata edit or a delete by request names: its batch job id, cluster and start time. */
  async findByRequest(batchJobId: number, cluster: string | undefined, startTime: number | undefined): Promise<JobRecord> {
    const found = await recordsRepo.findByBatchId(this.store.db, batchJobId, cluster, startTime);
    if (found.length === 0) throw notFound(`no job with jobId ${batchJobId}${cluster ? ` on ${cluster}` : ''}${startTime !== undefined ? ` started at ${startTime}` : ''}`);
    return found[0]!;
  }

  async get(id: number): Promise<JobRecord> {
    const record = await recordsRepo.get(this.store.db, id);
    if (!record) throw notFound(`no job with id ${id}`);
    return record;
  }

  /** A record the actor may see: any for the admin routes, only their own for the user routes (`ownOnly`). */
  async view(id: number, actor: Principal, ownOnly: boolean): Promise<RecordView> {
    const record = await this.get(id);
    if (ownOnly && record.user !== actor.username) throw notFound(`no job with id ${id}`);
    return (await this.withTags([record], actor))[0]!;
  }

  async stop(record: JobRecord, request: { state?: string; stopTime: number }): Promise<JobRecord> {
    const where = `jobId ${record.batchJobId} (id ${record.id}) on ${record.cluster}`;
    if (record.state !== 'running') throw new GantryError('conflict', `${where} : job has already been stopped (state is: ${record.state})`);
    if (record.startTime > request.stopTime) throw invalidInput(`${where} : stopTime ${request.stopTime} must be larger/equal than startTime ${record.startTime}`);
    if (request.state !== undefined && request.state !== '' && !isRecordState(request.state)) throw invalidInput(`${where} : invalid requested job state: "${request.state}"`);
    const state: RecordState = request.state && isRecordState(request.state) ? request.state : 'completed';
    const duration = request.stopTime - record.startTime;
    await this.writer.run(async (uow, fx) => {
      if (!(await recordsRepo.setStopped(uow.db, record.id, state, duration, MONITORING_ARCHIVED))) {
        throw new GantryError('conflict', `${where} : job has already been stopped`);
      }
      const job = await uow.job(record.jobRef);
      if (!job || job.state !== 'running') return;
      const to: JobState = jobStateOfRecord(state);
      const at = request.stopTime * 1000;
      const patch = to === 'completed' ? { completedAt: at } : to === 'failed' ? { failedAt: at, error: `the job ended ${state}` } : { cancelledAt: at };
      if (to !== 'running' && uow.updateJob(job.id, 'running', { ...patch, state: to })) fx.emit({ type: 'job.state', job: { ...job, ...patch, state: to }, from: 'running', to });
    }, record.jobRef);
    return { ...record, state, duration, monitoringStatus: MONITORING_ARCHIVED };
  }

  async list(filter: recordsRepo.RecordFilter, page: { page: number; itemsPerPage: number }, actor: Principal): Promise<RecordView[]> {
    return this.withTags(await recordsRepo.list(this.store.db, filter, page), actor);
  }

  /** Sets (merges) one key of a record's metadata. */
  async editMeta(record: JobRecord, key: string, value: string): Promise<JobRecord> {
    const metaData = { ...record.metaData, [key]: value };
    await recordsRepo.setMetaData(this.store.db, record.id, metaData);
    return { ...record, metaData };
  }

  /** Adds tags to a record, making those that do not exist yet, within what the actor may write. */
  async tag(record: JobRecord, tags: readonly TagRequest[], actor: Principal): Promise<RecordView> {
    for (const tag of tags) this.checkTagWrite(actor, tag.scope);
    await this.writer.run(async (uow) => {
      for (const tag of tags) {
        const stored = await recordsRepo.findOrCreateTag(uow.db, tag.type, tag.name, this.scopeOf(actor, tag.scope));
        await recordsRepo.linkTag(uow.db, record.jobRef, stored.id);
      }
    }, record.jobRef);
    return (await this.withTags([record], actor))[0]!;
  }

  /** Takes tags off a record; the tags stay in the catalogue. */
  async untag(record: JobRecord, tags: readonly TagRequest[], actor: Principal): Promise<RecordView> {
    for (const tag of tags) this.checkTagWrite(actor, tag.scope);
    await this.writer.run(async (uow) => {
      for (const tag of tags) {
        const stored = await recordsRepo.findTag(uow.db, tag.type, tag.name, this.scopeOf(actor, tag.scope));
        if (!stored) throw notFound(`tag does not exist (name, type, scope): ${tag.name}, ${tag.type}, ${tag.scope}`);
        await recordsRepo.unlinkTag(uow.db, record.jobRef, stored.id);
      }
    }, record.jobRef);
    return (await this.withTags([record], actor))[0]!;
  }

  /** Removes global and admin tags from every job and the catalogue; private ones are skipped. Returns how many went. */
  async removeTags(tags: readonly TagRequest[]): Promise<number> {
    let removed = 0;
    await this.writer.run(async (uow) => {
      for (const tag of tags) {
        if (tag.scope !== 'global' && tag.scope !== 'admin') continue;
        const stored = await recordsRepo.findTag(uow.db, tag.type, tag.name, tag.scope);
        if (!stored) throw notFound(`tag does not exist (name, type, scope): ${tag.name}, ${tag.type}, ${tag.scope}`);
        await recordsRepo.removeTag(uow.db, stored.id);
        removed++;
      }
    });
    return removed;
  }

  async delete(record: JobRecord): Promise<void> {
    await this.writer.run((uow) => recordsRepo.remove(uow.db, [record.jobRef]), record.jobRef);
  }

  /** Deletes the records of jobs that stopped before `before` (seconds); returns how many. */
  async deleteBefore(before: number, omitTagged: OmitTagged, now = Date.now()): Promise<number> {
    if (before * 1000 > now) throw invalidInput(`the time ${before} is in the future: only jobs that have stopped can be deleted`);
    return this.writer.run(async (uow) => {
      const ids = await recordsRepo.stoppedBefore(uow.db, before, omitTagged);
      await recordsRepo.remove(uow.db, ids);
      return ids.length;
    });
  }

  /** A batch system's report of its nodes' states; the last one of each node is kept. */
  async reportNodeStates(cluster: string, nodes: ReadonlyArray<Omit<nodeStatesRepo.NodeStateReport, 'cluster' | 'state' | 'reportedAt'>>, now = Date.now()): Promise<void> {
    if (!this.clusters().some((candidate) => candidate.name === cluster)) throw invalidInput(`no such cluster: ${cluster}`);
    await nodeStatesRepo.upsertMany(
      this.store.db,
      nodes.map((node) => ({ ...node, cluster, state: schedulerState(node.states), reportedAt: Math.floor(now / 1000) })),
    );
  }

  nodeStates(cluster: string): Promise<nodeStatesRepo.NodeStateReport[]> {
    return nodeStatesRepo.listOfCluster(this.store.db, cluster);
  }

  /** Hosts of running jobs that started before `before` (seconds), per cluster. */
  async usedNodes(before: number): Promise<Record<string, string[]>> {
    const running = await recordsRepo.runningStartedBefore(this.store.db, before);
    const used: Record<string, Set<string>> = {};
    for (const record of running) for (const resource of record.resources) (used[record.cluster] ??= new Set()).add(resource.hostname);
    return Object.fromEntries(Object.entries(used).map(([cluster, hosts]) => [cluster, [...hosts].sort()]));
  }

  // ---- tags and scopes ------------------------------------------------------

  /** `private` means the actor's own scope. */
  private scopeOf(actor: Principal, scope: string): string {
    return scope === 'private' || scope === '' ? (scope === '' ? 'global' : actor.username) : scope;
  }

  /** ClusterCockpit's rules: admin tags by admins (and the API user), global ones by admins, support and the API user, private ones by their owner. */
  private checkTagWrite(actor: Principal, scope: string): void {
    const resolved = this.scopeOf(actor, scope);
    if (resolved === 'admin' && (actor.roles.includes('admin') || isApiOnly(actor))) return;
    if (resolved === 'global' && (isPrivileged(actor) || isApiOnly(actor))) return;
    if (resolved === actor.username) return;
    if (resolved !== 'admin' && resolved !== 'global' && scope !== 'private') {
      throw invalidInput(`tag scope ${scope} is not one of global, admin, private`);
    }
    throw new GantryError('forbidden', resolved === 'admin' ? 'tag requires admin privileges' : `a ${resolved} tag may not be set by ${actor.username}`);
  }

  private readableScopes(actor: Principal): string[] {
    return isPrivileged(actor) ? ['global', 'admin', actor.username] : ['global', actor.username];
  }

  private async withTags(records: readonly JobRecord[], actor: Principal): Promise<RecordView[]> {
    const tags = await recordsRepo.tagsOfJobs(this.store.db, records.map((record) => record.jobRef), this.readableScopes(actor));
    return records.map((record) => ({ record, tags: tags.get(record.jobRef) ?? [] }));
  }
}

/** The subcluster a record belongs to: the one it names, else the one whose nodes hold its first host, else the only one. */
function assignSubCluster(cluster: ClusterInfo, input: NewJobRecord): string {
  if (input.subCluster) {
    if (!cluster.subClusters.some((sub) => sub.name === input.subCluster)) throw invalidInput(`subcluster ${input.subCluster} not found in cluster ${cluster.name}`);
    return input.subCluster;
  }
  const host = input.resources[0]?.hostname;
  const matched = host === undefined ? undefined : cluster.subClusters.find((sub) => hostListIncludes(sub.nodes, host));
  if (matched) return matched.name;
  if (cluster.subClusters.length === 1) return cluster.subClusters[0]!.name;
  throw invalidInput(`no subcluster of cluster ${cluster.name} holds host ${host ?? '(none)'}`);
}

/** One state from a node's state words, as cc-backend reads them. */
function schedulerState(states: readonly string[]): string {
  const set = new Set(states.map((state) => state.toLowerCase()));
  if (set.has('allocated')) return 'allocated';
  if (set.has('reserved')) return 'reserved';
  if (set.has('idle') && set.has('down')) return 'down';
  if (set.has('idle')) return 'idle';
  if (set.has('down')) return 'down';
  if (set.has('mixed')) return 'mixed';
  return 'unknown';
}
