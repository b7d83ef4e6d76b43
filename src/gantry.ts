import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GantryConfig } from './config/schema.js';
import type { Runtime } from './runtime/runtime.js';
import { createProcessRuntime, defaultWorkRoot, processRuntimeOptions } from './runtime/process/index.js';
import { Scheduler } from './scheduler/scheduler.js';
import { Counters } from './services/counters.js';
import { EventBus } from './services/event-bus.js';
import type { ExecService } from './services/exec/exec-service.js';
import { startExec } from './services/exec/start-exec.js';
import { ensureFirstAdmin, type FirstAdmin } from './services/identity/first-admin.js';
import { IdentityService } from './services/identity/identity-service.js';
import { identityOptions } from './services/identity/identity-options.js';
import { JobService } from './services/job-service.js';
import { NodeService } from './services/node-service.js';
import { AppEngine } from './services/apps/app-engine.js';
import { AppScheduler } from './services/apps/app-scheduler.js';
import { AppService } from './services/apps/app-service.js';
import { QuotaService } from './services/apps/quota-service.js';
import { AppRoleService } from './services/apps/app-role-service.js';
import { PipelineEngine } from './services/pipeline/engine.js';
import { TaskEventRouter } from './services/task-events.js';
import { RecordService } from './services/monitoring/record-service.js';
import { MetricService } from './services/monitoring/metric-service.js';
import { RecordProjector } from './services/monitoring/record-projector.js';
import { usageRecorder } from './services/monitoring/usage-recorder.js';
import { clustersOf } from './services/monitoring/own-cluster.js';
import { recoverAfterRestart } from './services/recovery.js';
import { ScheduleService } from './services/schedule-service.js';
import { WebhookService, type WebhookRenderer } from './services/webhook-service.js';
import { WorkerGateway } from './services/worker-gateway.js';
import { Writer } from './services/writer.js';
import { openStore, type Store } from './store/open.js';
import { GANTRY_VERSION } from './version.js';
import { Worker } from './worker/worker.js';
import type { MessageBroker } from './broker/broker.js';
import { StoreBroker } from './broker/store-broker.js';
import { pilotQueueOf } from './core/workflow.js';
import * as settingsRepo from './store/settings-repo.js';
import { PilotEngine } from './services/workflows/pilot-engine.js';
import { QueueService } from './services/workflows/queue-service.js';
import { QueueTokens } from './services/workflows/queue-tokens.js';
import { TaskforceManager } from './services/workflows/taskforce-manager.js';
import { TmsService } from './services/workflows/tms-service.js';
import { WorkflowService } from './services/workflows/workflow-service.js';
import { randomBytes } from 'node:crypto';

/** The configured work root, else the default for this data directory (logged when it is not the usual one). */
function workRootOf(config: GantryConfig, logger: Logger): string {
  if (config.runtime.workRoot) return config.runtime.workRoot;
  const { workRoot, movedBecause } = defaultWorkRoot(config.dataDir, process.getuid?.() === 0);
  if (movedBecause) logger.warn({ workRoot, reason: movedBecause }, 'task work areas are kept outside the data directory');
  return workRoot;
}

/** Everything the HTTP layer needs, built once per server. */
export interface Core {
  config: GantryConfig;
  store: Store;
  bus: EventBus;
  jobs: JobService;
  /** Multi-service applications (Zoe's executions). */
  apps: AppService;
  quotas: QuotaService;
  /** Roles of application users (Zoe's roles). */
  appRoles: AppRoleService;
  /** Job monitoring records (ClusterCockpit's jobs). */
  records: RecordService;
  /** Metric time series of hosts and jobs. */
  metrics: MetricService;
  nodes: NodeService;
  schedules: ScheduleService;
  gateway: WorkerGateway;
  scheduler: Scheduler;
  counters: Counters;
  identity: IdentityService;
  /** Code snippets in warm sandboxes (Zeroboot's /v1/exec). */
  exec: ExecService;
  /**
   * Set when this start made the first user, `admin`: its password, and the file
   * it is kept in when it was generated (for the CLI to show once).
   */
  firstAdmin: FirstAdmin | undefined;
  /** Event workflows (EWMS): workflows, task directives, taskforces. */
  workflows: WorkflowService;
  /** The workflows' message queues. */
  queues: QueueService;
  /** Queue tokens: the credential of one workflow's queues. */
  queueTokens: QueueTokens;
  /** What task management services (EWMS's TMS) ask and report. */
  tms: TmsService;
  /** Gantry's own task management for its workers' locations (pilots' reports go here). */
  taskforces: TaskforceManager;
  /** Tells the core the URL it is served at, once the server listens (pilots and profiles name it). */
  listeningAt(url: string): void;
  /** The in-process worker, when enabled. */
  worker: Worker | undefined;
  version: string;
}

export interface BuildCoreOptions {
  config: GantryConfig;
  logger: Logger;
  /** How webhook bodies render jobs and tasks (the pipeline dialect's shapes). */
  webhookRenderer: WebhookRenderer;
  /** Replace the sandboxed process runtime (benchmarks use a no-op runtime). */
  runtime?: Runtime;
}

/**
 * Builds and starts the core: store (migrated), recovery of work from before a
 * restart, scheduler, node watch, schedules, webhooks and the in-process worker.
 * `stop` drains and shuts them down in reverse order.
 */
export async function startCore(options: BuildCoreOptions): Promise<Core & { stop(): Promise<void> }> {
  const { config, logger } = options;
  const store = await openStore({
    database: config.database,
    dataDir: config.dataDir,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost; reconnecting'),
  });
  const identity = new IdentityService(store, identityOptions(config), logger.child({ component: 'identity' }));
  let firstAdmin: Core['firstAdmin'];
  try {
    await identity.start();
    firstAdmin = await ensureFirstAdmin(identity, config.dataDir, config.auth.adminPassword);
    if (firstAdmin) logger.info({ file: firstAdmin.file }, 'created the first user, admin');
  } catch (error) {
    await store.close();
    throw error;
  }
  const bus = new EventBus((error) => logger.error({ err: error }, 'event listener failed'));
  const writer = new Writer(store, bus);
  const engine = new PipelineEngine({
    retryBackoffMs: config.scheduler.retryBackoffMs,
    retryBackoffMaxMs: config.scheduler.retryBackoffMaxMs,
  });
  const appEngine = new AppEngine();
  const gateway = new WorkerGateway(store, writer, new TaskEventRouter(engine, appEngine, new PilotEngine()), (error, jobId) =>
    logger.error({ err: error, jobId, component: 'gateway' }, 'task reports could not be applied; failing their tasks'),
  );
  const scheduler = new Scheduler({
    source: gateway,
    deliver: (nodeId, assignments) => gateway.deliver(nodeId, assignments),
    tickMs: config.scheduler.tickMs,
    onError: (error) => logger.error({ err: error, component: 'scheduler' }, 'scheduler pass failed'),
  });
  gateway.attachScheduler(scheduler);
  const appScheduler = new AppScheduler(store, writer, appEngine, bus, {
    policy: config.apps.policy,
    tickMs: config.apps.tickMs,
    onError: (error) => logger.error({ err: error, component: 'app-scheduler' }, 'application scheduler pass failed'),
  });
  writer.setHooks({
    deliver: (nodeId, assignments) => gateway.deliver(nodeId, assignments),
    wakeApps: () => appScheduler.wake(),
    cancelOnNode: (nodeId, taskId, attempt) => gateway.cancelOnNode(nodeId, taskId, attempt),
    wakeScheduler: () => scheduler.wake(),
    wakeSchedulerAt: (time) => scheduler.wakeAt(time),
  });
  const jobs = new JobService(store, writer, engine, bus);
  const clusters = clustersOf(config);
  const records = new RecordService(store, writer, clusters);
  const metrics = new MetricService(store, clusters, join(config.dataDir, 'metrics-log'), (error) => logger.error({ err: error, component: 'metrics' }, 'writing metric samples failed; kept for the next try'));
  await metrics.start();
  gateway.onUsage(usageRecorder(store, metrics, config.cockpit.clusterName));
  const projector = new RecordProjector(store, metrics, {
    cluster: config.cockpit.clusterName,
    everyMs: 2_000,
    retentionSeconds: config.cockpit.metricRetentionDays * 86_400,
    onError: (error) => logger.error({ err: error, component: 'records' }, 'recording Gantry jobs for monitoring failed'),
  });
  const quotas = new QuotaService(store);
  const appRoles = new AppRoleService(store);
  const apps = new AppService(
    store,
    writer,
    appEngine,
    appScheduler,
    bus,
    { deployment: config.zoe.deploymentName, imageCommands: config.runtime.imageCommands, allowBindMounts: config.runtime.allowBindMounts },
    quotas,
    appRoles,
  );
  apps.onError = (error) => logger.error({ err: error, component: 'apps' }, 'enforcing runtime limits failed');
  const nodes = new NodeService(store, writer, gateway, engine, config.scheduler.nodeTimeoutMs);
  const schedules = new ScheduleService(store, jobs, (error, scheduleId) =>
    logger.error({ err: error, scheduleId }, 'scheduled job could not be submitted'),
  );
  const webhooks = new WebhookService(store, bus, options.webhookRenderer, config.webhooks, logger.child({ component: 'webhooks' }));

  let serverUrl = config.server;
  const queueTokens = new QueueTokens(await settingsRepo.getOrInsert(store.db, 'mq.key', randomBytes(32).toString('base64'), Date.now()));
  const broker: MessageBroker = await brokerOf(config, store, queueTokens, () => serverUrl, logger);
  await broker.start();
  const queues = new QueueService(store, broker);
  const workflows = new WorkflowService(store, writer, {
    externalLocations: config.ewms.locations,
    localLocation: config.worker.enabled ? config.worker.location : undefined,
    queryPageRows: config.ewms.queryPageRows,
    replaySeconds: config.ewms.replaySeconds,
  });
  const tms = new TmsService(store, writer, queues);
  const taskforces = new TaskforceManager(store, writer, queues, queueTokens, {
    tickMs: config.ewms.tickMs,
    visibilityMs: config.ewms.visibilitySeconds * 1000,
    node: process.execPath,
    serverUrl: () => serverUrl,
    onError: (error) => logger.error({ err: error, component: 'taskforces' }, 'managing taskforces failed'),
  });
  workflows.onChange = () => taskforces.wake();
  // The workflow has ended either way; a broker that cannot withdraw its credential now is logged, not the user's failure.
  workflows.onDeactivated = (workflowId) =>
    queues.deactivate(workflowId).catch((error: unknown) => logger.error({ err: error, workflowId, component: 'queues' }, "withdrawing an ended workflow's queue credential failed"));

  const counters = new Counters();
  counters.start(bus);
  const recovered = await recoverAfterRestart(store, writer, gateway);
  if (recovered.tasks > 0 || recovered.nodes > 0) logger.info(recovered, 'recovered work from before the restart');

  webhooks.start();
  scheduler.start();
  appScheduler.start();
  projector.start(bus);
  taskforces.start(bus);
  apps.start(60_000);
  nodes.start(Math.max(1_000, Math.floor(config.scheduler.nodeTimeoutMs / 3)));
  schedules.start();

  const workRoot = workRootOf(config, logger);
  const exec = await startExec(config, store, counters.registry, workRoot, logger.child({ component: 'exec' }));

  let runtime: Runtime | undefined;
  let worker: Worker | undefined;
  if (config.worker.enabled) {
    const taskRuntime: Runtime =
      options.runtime ??
      createProcessRuntime(processRuntimeOptions({ ...config.runtime, exposeAddress: config.apps.exposeAddress, exposeHost: config.apps.exposeHost }, workRoot, logger.child({ component: 'runtime' }), config.toolSearchPath));
    runtime = taskRuntime;
    await taskRuntime.start();
    worker = new Worker({
      link: gateway,
      runtime: taskRuntime,
      registration: {
        name: config.worker.name,
        version: GANTRY_VERSION,
        queues: [...config.worker.queues, pilotQueueOf(config.worker.location)],
        maxTasks: config.worker.maxTasks,
        capacityCpus: cpus().length,
        capacityMemoryBytes: totalmem(),
        labels: { location: config.worker.location },
      },
      heartbeatMs: config.worker.heartbeatMs,
      sampleMs: config.worker.sampleMs,
      // The in-process link applies each call's reports in call order, so batches may overlap
      // on PostgreSQL's several connections. SQLite has one writer: overlapping batches would
      // only queue for it, while one at a time lets reports pile into larger batches.
      reportConcurrency: store.dialect === 'postgres' ? 4 : 1,
      logger: logger.child({ component: 'worker' }),
    });
    await worker.start();
  }

  const stop = async (): Promise<void> => {
    await scheduler.stop();
    await appScheduler.stop();
    await projector.stop();
    await taskforces.stop();
    apps.stop();
    await worker?.stop(config.shutdown.graceMs);
    await runtime?.stop();
    await exec.stop();
    await schedules.stop();
    nodes.stop();
    await webhooks.stop();
    counters.stop();
    await metrics.stop();
    await broker.stop();
    await store.close();
  };
  const listeningAt = (url: string): void => {
    serverUrl = url;
  };

  return { config, store, bus, jobs, apps, quotas, appRoles, records, metrics, nodes, schedules, gateway, scheduler, counters, identity, exec: exec.exec, workflows, queues, queueTokens, tms, taskforces, listeningAt, firstAdmin, worker, version: GANTRY_VERSION, stop };
}

/** The workflows' message broker: a configured AMQP one (RabbitMQ), else Gantry's own queues in its store. */
async function brokerOf(config: GantryConfig, store: Store, tokens: QueueTokens, serverUrl: () => string, logger: Logger): Promise<MessageBroker> {
  if (config.ewms.mq) {
    const { AmqpBroker } = await import('./broker/amqp-broker.js');
    return new AmqpBroker({
      url: config.ewms.mq,
      ...(config.ewms.mqManagementUrl ? { managementUrl: config.ewms.mqManagementUrl } : {}),
      ...(config.ewms.mqPublicAddress ? { publicAddress: config.ewms.mqPublicAddress } : {}),
      maxDeliveries: config.ewms.maxDeliveries,
      secret: tokens.tokenOf('amqp-passwords'),
      onError: (error: unknown) => logger.error({ err: error, component: 'broker' }, 'the AMQP broker failed'),
    });
  }
  return new StoreBroker(store, {
    address: serverUrl,
    tokenOf: (workflowId) => tokens.tokenOf(workflowId),
    maxDeliveries: config.ewms.maxDeliveries,
  });
}
