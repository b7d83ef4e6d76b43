import { totalReservation, type AppDefinition, type AppSpec } from '../../core/app.js';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import type { Principal } from '../../core/identity.js';
import type { Job } from '../../core/model.js';
import { DEFAULT_QUOTA_ID, DEFAULT_QUOTA_NAME, type Quota } from '../../core/quota.js';
import * as appsRepo from '../../store/apps-repo.js';
import type { Db } from '../../store/dialect.js';
import type { Store } from '../../store/open.js';
import * as quotasRepo from '../../store/quotas-repo.js';
import * as usersRepo from '../../store/users-repo.js';

export type QuotaFields = quotasRepo.QuotaFields;

const LIMIT_FIELDS = ['concurrentExecutions', 'cores', 'memoryBytes', 'runtimeLimitHours'] as const;

/**
 * Quotas: what each user may hold at once (executions, cores, memory, as the
 * sum of `min × total_count` of their active executions, as Zoe counts it) and
 * how long an execution may last. Checked when an execution is submitted.
 */
export class QuotaService {
  constructor(private readonly store: Store) {}

  list(): Promise<Quota[]> {
    return quotasRepo.list(this.store.db);
  }

  async get(id: number): Promise<Quota> {
    const quota = await quotasRepo.get(this.store.db, id);
    if (!quota) throw notFound('No such quota');
    return quota;
  }

  async create(fields: QuotaFields): Promise<number> {
    checkFields(fields);
    const id = await quotasRepo.insert(this.store.db, fields, Date.now());
    if (id === undefined) throw new GantryError('conflict', `a quota named ${fields.name} already exists`);
    return id;
  }

  async update(id: number, fields: Partial<QuotaFields>): Promise<void> {
    const quota = await this.get(id);
    checkFields(fields);
    if (id === DEFAULT_QUOTA_ID && fields.name !== undefined && fields.name !== DEFAULT_QUOTA_NAME) throw invalidInput('The default quota cannot be renamed');
    if (fields.name !== undefined && fields.name !== quota.name && (await quotasRepo.getByName(this.store.db, fields.name))) {
      throw new GantryError('conflict', `a quota named ${fields.name} already exists`);
    }
    await quotasRepo.update(this.store.db, id, fields);
  }

  async delete(id: number): Promise<void> {
    await this.get(id);
    if (id === DEFAULT_QUOTA_ID) throw invalidInput('Cannot delete default quota');
    const users = await quotasRepo.usersWithQuota(this.store.db, id);
    if (users > 0) throw invalidInput(`the quota is given to ${users} user${users === 1 ? '' : 's'}: give them another first`);
    await quotasRepo.remove(this.store.db, id);
  }

  quotaIdOf(userId: string): Promise<number> {
    return quotasRepo.quotaIdOfUser(this.store.db, userId);
  }

  quotaIdsOfUsers(): Promise<Map<string, number>> {
    return quotasRepo.quotaIdsOfUsers(this.store.db);
  }

  async setQuotaOf(userId: string, quotaId: number): Promise<void> {
    if (!(await quotasRepo.get(this.store.db, quotaId))) throw invalidInput(`No quota with ID ${quotaId}`);
    await quotasRepo.setUserQuota(this.store.db, userId, quotaId);
  }

  forgetUser(userId: string): Promise<void> {
    return quotasRepo.forgetUser(this.store.db, userId);
  }

  /** Refuses (409) an execution that would take its owner over their quota. Runs in the submitting transaction. */
  async checkSubmission(db: Db, owner: Principal, spec: AppSpec): Promise<void> {
    const quota = (await quotasRepo.get(db, owner.userId === null ? DEFAULT_QUOTA_ID : await quotasRepo.quotaIdOfUser(db, owner.userId))) ?? (await quotasRepo.get(db, DEFAULT_QUOTA_ID));
    if (!quota || (quota.concurrentExecutions === 0 && quota.cores === 0 && quota.memoryBytes === 0)) return;
    const active = await appsRepo.listAppJobs(db, { owner: owner.username, states: ['pending', 'scheduled', 'running'], bounds: [] });
    if (quota.concurrentExecutions !== 0 && active.length >= quota.concurrentExecutions) {
      throw new GantryError('conflict', `You cannot run more than ${quota.concurrentExecutions} executions at a time, quota exceeded.`);
    }
    let cores = 0;
    let memory = 0;
    for (const counted of [...active.map((job: Job) => (job.definition as AppDefinition).spec), spec]) {
      const reserved = totalReservation(counted);
      cores += reserved.cores;
      memory += reserved.memoryBytes;
    }
    if (quota.cores !== 0 && cores > quota.cores + 1e-9) throw new GantryError('conflict', `You requested ${round(cores - quota.cores)} cores more than your quota allows, quota exceeded.`);
    if (quota.memoryBytes !== 0 && memory > quota.memoryBytes) throw new GantryError('conflict', `You requested ${memory - quota.memoryBytes}B memory more than your quota allows, quota exceeded.`);
  }

  /** Active executions past their owner's runtime limit (counted from submission, as Zoe does). */
  async overRuntime(now: number): Promise<Job[]> {
    const limited = (await quotasRepo.list(this.store.db)).filter((quota) => quota.runtimeLimitHours > 0);
    if (limited.length === 0) return [];
    const byId = new Map(limited.map((quota) => [quota.id, quota]));
    const quotaOfUser = await quotasRepo.quotaIdsOfUsers(this.store.db);
    const ownerIds = new Map((await usersRepo.list(this.store.db)).map((user) => [user.username, user.id]));
    const active = await appsRepo.listAppJobs(this.store.db, { states: ['pending', 'scheduled', 'running'], bounds: [] });
    return active.filter((job) => {
      const userId = ownerIds.get(job.owner);
      const quota = byId.get(userId === undefined ? DEFAULT_QUOTA_ID : (quotaOfUser.get(userId) ?? DEFAULT_QUOTA_ID));
      return quota !== undefined && job.createdAt + quota.runtimeLimitHours * 3_600_000 < now;
    });
  }
}

function checkFields(fields: Partial<QuotaFields>): void {
  if (fields.name !== undefined && (typeof fields.name !== 'string' || fields.name.trim() === '' || fields.name.length > 64)) throw invalidInput('name is 1 to 64 characters');
  for (const key of LIMIT_FIELDS) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidInput(`${key} is a number, 0 or more (0: no limit)`);
    if (key !== 'cores' && !Number.isInteger(value)) throw invalidInput(`${key} is a whole number`);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
