import {
  dnsName,
  essentialReservation,
  MAX_INSTANCES,
  memberAddress,
  type AppDefinition,
  type AppSpec,
  type ServiceInstance,
} from '../../core/app.js';
import { GantryError, invalidInput, notFound } from '../../core/errors.js';
import type { Principal } from '../../core/identity.js';
import { newId } from '../../core/ids.js';
import type { Job, Task, TaskLogPart } from '../../core/model.js';
import { TERMINAL_JOB_STATES, TERMINAL_TASK_STATES } from '../../core/states.js';
import * as appsRepo from '../../store/apps-repo.js';
import * as jobsRepo from '../../store/jobs-repo.js';
import * as nodesRepo from '../../store/nodes-repo.js';
import type { Store } from '../../store/open.js';
import * as taskLogsRepo from '../../store/task-logs-repo.js';
import * as tasksRepo from '../../store/tasks-repo.js';
import type { EventBus } from '../event-bus.js';
import type { Writer } from '../writer.js';
import { APP_QUEUE, type AppEngine } from './app-engine.js';
import type { AppScheduler } from './app-scheduler.js';
import type { AppRoleService } from './app-role-service.js';
import type { QuotaService } from './quota-service.js';
import { checkEnvironment } from './service-run-spec.js';

export interface AppSubmission {
  spec: AppSpec;
  /** The execution's name. */
  name: string;
  owner: Principal;
  /** The document as submitted, shown back as the execution's description. */
  description: unknown;
}

/** An execution with its instances and each instance's current task. */
export interface AppExecution {
  job: Job;
  instances: ServiceInstance[];
  tasks: Map<string, Task>;
  /** Some of its services are still being stopped. */
  stopping: boolean;
}

export interface AppEndpoint {
  name: string;
  url: string;
}

export interface AppStatistics {
  queued: string[];
  running: string[];
  cleaningUp: string[];
  scheduler: AppScheduler['stats'];
}

export interface AppSettings {
  /** Name of the deployment: the last part of every service's DNS name. */
  deployment: string;
  /** Image → its default command, for services that give none. */
  imageCommands: Readonly<Record<string, string>>;
  /** Whether nodes mount host directories (a service's volumes need it). */
  allowBindMounts: boolean;
}

/** How long deleting an execution waits for its services to stop before it gives up. */
const DELETE_WAIT_MS = 30_000;

/** The use cases of multi-service applications: submit, read, list, terminate, delete, services, logs, discovery. */
export class AppService {
  constructor(
    private readonly store: Store,
    private readonly writer: Writer,
    private readonly engine: AppEngine,
    private readonly scheduler: AppScheduler,
    private readonly bus: EventBus,
    private readonly settings: AppSettings,
    private readonly quotas: QuotaService,
    private readonly roles: AppRoleService,
  ) {}

  private async maySee(actor: Principal, owner: string): Promise<boolean> {
    return owner === actor.username || (await this.roles.maySeeOthers(actor));
  }

  private async mayActOn(actor: Principal, owner: string): Promise<boolean> {
    return owner === actor.username || (await this.roles.mayActOnOthers(actor));
  }

  /** Checks the quotas' runtime limits every `everyMs`. */
  start(everyMs: number): void {
    this.limitTimer = setInterval(() => void this.enforceRuntimeLimits().catch((error: unknown) => this.onError(error)), everyMs);
    this.limitTimer.unref();
  }

  stop(): void {
    clearInterval(this.limitTimer);
  }

  private limitTimer: NodeJS.Timeout | undefined;
  onError: (error: unknown) => void = () => undefined;

  /** Terminates the executions that have run longer than their owner's quota allows. */
  async enforceRuntimeLimits(now = Date.now()): Promise<number> {
    const over = await this.quotas.overRuntime(now);
    for (const found of over) {
      await this.writer.run(async (uow, fx) => {
        const job = await uow.job(found.id);
        if (job && !TERMINAL_JOB_STATES.has(job.state)) await this.engine.terminate(uow, fx, job, now, 'the execution reached the runtime limit of its owner\'s quota');
      }, found.id);
    }
    return over.length;
  }

  async submit(submission: AppSubmission): Promise<Job> {
    const { spec } = submission;
    const count = spec.services.reduce((sum, service) => sum + service.totalCount, 0);
    if (count > MAX_INSTANCES) throw invalidInput(`the application has ${count} service instances; at most ${MAX_INSTANCES} are allowed`);
    await this.refuseTooBig(spec);
    const definition: AppDefinition = { spec: this.withCommands(spec), description: submission.description, deployment: this.settings.deployment };
    return this.writer.run(async (uow, fx) => {
      const now = Date.now();
      await this.quotas.checkSubmission(uow.db, submission.owner, spec);
      const job = await uow.insertJob({
        id: newId(),
        kind: 'app',
        owner: submission.owner.username,
        name: submission.name,
        description: null,
        state: 'pending',
        priority: 0,
        queue: APP_QUEUE,
        tags: [],
        definition,
        inputs: {},
        secrets: {},
        context: { tasks: {} },
        position: 1,
        taskCount: count,
        result: null,
        error: null,
        progress: 0,
        parentJobId: null,
        parentTaskId: null,
        scheduledJobId: null,
        createdAt: now,
        scheduledAt: null,
        startedAt: null,
        completedAt: null,
        failedAt: null,
        cancelledAt: null,
      });
      const rows: appsRepo.NewServiceInstance[] = [];
      for (const service of spec.services) {
        for (let index = 0; index < service.totalCount; index++) {
          rows.push({
            jobId: job.id,
            taskId: null,
            group: service.group,
            name: `${service.group}${index}`,
            index,
            essential: index < service.essentialCount,
            monitor: service.monitor,
            address: memberAddress(rows.length),
            host: null,
            ports: service.ports.map((port) => ({ name: port.name, port: port.port, protocol: port.protocol, hostPort: null })),
            createdAt: now,
          });
        }
      }
      const instances = await appsRepo.insertInstances(uow.db, rows);
      checkEnvironment(job, definition, instances);
      fx.emit({ type: 'job.state', job, from: null, to: 'pending' });
      fx.wakeApps = true;
      return job;
    });
  }

  /**
   * Every service's command: its own, or its image's default as configured.
   * Checked here, where what a node can run is known, rather than failing it there.
   */
  private withCommands(spec: AppSpec): AppSpec {
    return {
      ...spec,
      services: spec.services.map((service, index) => {
        if (service.volumes.length > 0 && !this.settings.allowBindMounts) {
          throw invalidInput(`services[${index}].volumes: this installation mounts no host directories into services (runtime.allowBindMounts is off)`);
        }
        if (service.command !== null) return service;
        const command = this.settings.imageCommands[service.image];
        if (command === undefined) {
          throw invalidInput(
            `services[${index}].command: the service gives no command and no default command is configured for image ${service.image} (runtime.imageCommands); give the command it runs`,
          );
        }
        return { ...service, command };
      }),
    };
  }

  /** An execution that no node could hold is refused at once rather than queued for ever. */
  private async refuseTooBig(spec: AppSpec): Promise<void> {
    const nodes = await nodesRepo.listByStatus(this.store.db, ['UP']);
    if (nodes.length === 0) return;
    const need = essentialReservation(spec);
    if (nodes.some((node) => need.cores <= node.capacityCpus + 1e-9 && need.memoryBytes <= node.capacityMemoryBytes)) return;
    const largestCores = Math.max(...nodes.map((node) => node.capacityCpus));
    const largestMemory = Math.max(...nodes.map((node) => node.capacityMemoryBytes));
    throw invalidInput(
      `the essential services need ${round(need.cores)} cores and ${need.memoryBytes} bytes of memory on one node; the largest node has ${largestCores} cores and ${largestMemory} bytes`,
    );
  }

  /** An execution the actor may see; another user's is not found. */
  async get(numId: number, actor: Principal): Promise<AppExecution> {
    const job = await appsRepo.appJobByNumId(this.store.db, numId);
    if (!job || !(await this.maySee(actor, job.owner))) throw notFound('No such execution');
    return (await this.withInstances([job]))[0]!;
  }

  async list(query: Omit<appsRepo.AppJobQuery, 'owner'> & { owner?: string }, actor: Principal): Promise<AppExecution[]> {
    const owner = (await this.roles.maySeeOthers(actor)) ? query.owner : actor.username;
    const jobs = await appsRepo.listAppJobs(this.store.db, { ...query, owner });
    return this.withInstances(jobs);
  }

  private async withInstances(jobs: readonly Job[]): Promise<AppExecution[]> {
    const instances = await appsRepo.instancesOfJobs(this.store.db, jobs.map((job) => job.id));
    const taskIds = instances.flatMap((instance) => (instance.taskId ? [instance.taskId] : []));
    const tasks = new Map((await tasksRepo.getMany(this.store.db, taskIds)).map((task) => [task.id, task]));
    const byJob = new Map<string, ServiceInstance[]>(jobs.map((job) => [job.id, []]));
    for (const instance of instances) byJob.get(instance.jobId)?.push(instance);
    const stoppingJobs = await appsRepo.jobsWithStoppingTasks(
      this.store.db,
      jobs.filter((job) => TERMINAL_JOB_STATES.has(job.state)).map((job) => job.id),
    );
    return jobs.map((job) => ({ job, instances: byJob.get(job.id)!, tasks, stopping: stoppingJobs.has(job.id) }));
  }

  /** Terminates an active execution (Zoe's DELETE /execution/<id>). */
  async terminate(numId: number, actor: Principal): Promise<void> {
    const found = await appsRepo.appJobByNumId(this.store.db, numId);
    if (!found || !(await this.maySee(actor, found.owner))) throw notFound('No such execution');
    if (!(await this.mayActOn(actor, found.owner))) throw new GantryError('forbidden', 'You are not authorized to terminate this execution');
    await this.writer.run(async (uow, fx) => {
      const job = await uow.job(found.id);
      if (!job || TERMINAL_JOB_STATES.has(job.state)) throw invalidInput('Execution is not running');
      await this.engine.terminate(uow, fx, job, Date.now());
    }, found.id);
  }

  /** Deletes an execution and everything kept of it, terminating it first and waiting for its services to stop. */
  async delete(numId: number, actor: Principal): Promise<void> {
    const found = await appsRepo.appJobByNumId(this.store.db, numId);
    if (!found || !(await this.maySee(actor, found.owner))) throw notFound('No such execution');
    if (!(await this.mayActOn(actor, found.owner)) || !(await this.roles.mayDeleteExecutions(actor))) {
      throw new GantryError('forbidden', 'You are not authorized to delete this execution');
    }
    if (!TERMINAL_JOB_STATES.has(found.state)) {
      await this.terminate(numId, actor).catch((error: unknown) => {
        // Ended meanwhile: nothing left to terminate.
        if (!(error instanceof GantryError && error.code === 'invalid_input')) throw error;
      });
    }
    await this.untilStopped(found.id);
    await this.writer.run(async (uow) => {
      await appsRepo.deleteJobWithTasks(uow.db, found.id);
    }, found.id);
    this.scheduler.wake();
  }

  private async untilStopped(jobId: string): Promise<void> {
    const deadline = Date.now() + DELETE_WAIT_MS;
    while ((await tasksRepo.listByJobAndStates(this.store.db, jobId, ['pending', 'scheduled', 'running', 'stopping'])).length > 0) {
      if (Date.now() > deadline) throw new GantryError('unavailable', 'the execution\'s services have not stopped yet; try again');
      await this.nextEventOf(jobId, deadline - Date.now());
    }
  }

  private nextEventOf(jobId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(timeoutMs, 1_000));
      const unsubscribe = this.bus.subscribe((event) => {
        if (event.type === 'task.state' && event.task.jobId === jobId) done();
      });
      function done(): void {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  async service(numId: number, actor: Principal): Promise<{ instance: ServiceInstance; task: Task | undefined; execution: Job }> {
    const instance = await appsRepo.instanceByNumId(this.store.db, numId);
    const execution = instance ? await jobsRepo.get(this.store.db, instance.jobId) : undefined;
    if (!instance || !execution || !(await this.maySee(actor, execution.owner))) throw notFound('No such service');
    const task = instance.taskId ? await tasksRepo.get(this.store.db, instance.taskId) : undefined;
    return { instance, task, execution };
  }

  /**
   * Follows an instance's output from its start: the parts stored, then new
   * ones as they come, until its run ends or `signal` aborts.
   */
  async followServiceLog(numId: number, onPart: (part: TaskLogPart) => void, signal: AbortSignal, actor: Principal): Promise<void> {
    const { instance } = await this.service(numId, actor);
    if (!instance.taskId) throw notFound('Service log not available');
    const taskId = instance.taskId;
    const live: TaskLogPart[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.bus.subscribe((event) => {
      if (event.type === 'task.log' && event.part.taskId === taskId) live.push(event.part);
      else if (event.type === 'task.state' && event.task.id === taskId && TERMINAL_TASK_STATES.has(event.to)) ended = true;
      else return;
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      const task = await tasksRepo.get(this.store.db, taskId);
      if (!task || TERMINAL_TASK_STATES.has(task.state)) ended = true;
      let lastNumber = 0;
      for (;;) {
        const parts = await taskLogsRepo.listByTaskAfter(this.store.db, taskId, lastNumber, 500);
        for (const part of parts) {
          onPart(part);
          lastNumber = part.number;
        }
        if (parts.length < 500) break;
      }
      while (!signal.aborted) {
        while (live.length > 0) {
          const part = live.shift()!;
          if (part.number > lastNumber) {
            onPart(part);
            lastNumber = part.number;
          }
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** DNS names of an execution's running instances of `group` (every group for `all`). */
  async discovery(numId: number, group: string, actor: Principal): Promise<string[]> {
    const { job, instances, tasks } = await this.get(numId, actor);
    const deployment = (job.definition as AppDefinition).deployment;
    return instances
      .filter((instance) => (group === 'all' || instance.group === group) && instance.taskId !== null && tasks.get(instance.taskId)?.state === 'running')
      .map((instance) => dnsName(instance.name, job.numId, deployment));
  }

  /** Each exposed port of a running instance, as a link a user can open. */
  async endpoints(numId: number, actor: Principal): Promise<AppEndpoint[]> {
    const { job, instances, tasks } = await this.get(numId, actor);
    const spec = (job.definition as AppDefinition).spec;
    const out: AppEndpoint[] = [];
    for (const instance of instances) {
      if (!instance.taskId || tasks.get(instance.taskId)?.state !== 'running' || !instance.host) continue;
      const service = spec.services.find((candidate) => candidate.group === instance.group)!;
      for (const binding of instance.ports) {
        if (binding.hostPort === null) continue;
        const port = service.ports.find((candidate) => candidate.name === binding.name)!;
        const ipPort = `${instance.host}:${binding.hostPort}`;
        out.push({
          name: `${instance.name} ${port.name}`,
          url: port.urlTemplate.replaceAll('{ip_port}', ipPort).replaceAll('{ip}', instance.host).replaceAll('{port}', String(binding.hostPort)),
        });
      }
    }
    return out;
  }

  async statistics(): Promise<AppStatistics> {
    const heads = await appsRepo.appJobHeads(this.store.db, ['pending', 'scheduled', 'running']);
    const cleaning = await appsRepo.cleaningUpJobIds(this.store.db);
    return {
      queued: heads.filter((head) => head.state === 'pending').map((head) => String(head.numId)),
      running: heads.filter((head) => head.state !== 'pending').map((head) => String(head.numId)),
      cleaningUp: cleaning.map(String),
      scheduler: this.scheduler.stats,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
