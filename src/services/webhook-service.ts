import { evaluateLoose, evaluateTemplate } from '../core/expr/index.js';
import type { Job, Task } from '../core/model.js';
import type { PipelineDefinition, PipelineWebhook } from '../core/pipeline.js';
import { maskSecrets } from '../core/secrets.js';
import * as jobsRepo from '../store/jobs-repo.js';
import type { Store } from '../store/open.js';
import type { EventBus, GantryEvent } from './event-bus.js';
import { expressionContext } from './pipeline/context.js';

export interface WebhookOptions {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

/** How a job and a task look in webhook bodies: the pipeline dialect's own shapes. */
export interface WebhookRenderer {
  job(job: Job): unknown;
  task(task: Task): unknown;
}

/** One call to make: the webhook with its templates evaluated, and the body to send. */
type Delivery = { url: string; shownUrl: string; headers: Record<string, string>; body: unknown };

function hasTaskEvents(definition: unknown): boolean {
  return ((definition as PipelineDefinition | null)?.webhooks ?? []).some((hook) => hook.event?.startsWith('task.'));
}

/** Replaces every secret value inside the strings of a body, whatever renders it. */
function redact(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redact(child, secrets)]));
  }
  return value;
}

/**
 * Tork calls a webhook only when its `if` evaluates to true (a non-boolean is
 * logged and not called). A template with text around it yields a string, so the
 * text `true` counts as well.
 */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/**
 * Calls a job's webhooks on its state changes (`job.StateChange`), progress
 * (`job.Progress`) and its tasks' state changes and progress (`task.*`), as Tork
 * does. Failed calls are retried with doubling backoff; every outcome is logged.
 */
export class WebhookService {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly taskHooksByJob = new Map<string, boolean>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly render: WebhookRenderer,
    private readonly options: WebhookOptions,
    private readonly log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void },
  ) {}

  start(): void {
    this.unsubscribe = this.bus.subscribe((event) => this.onEvent(event));
  }

  /** Waits (bounded) for deliveries under way. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.unsubscribe?.();
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private onEvent(event: GantryEvent): void {
    if (event.type === 'job.state' && event.from === null) this.remember(event.job.id, hasTaskEvents(event.job.definition));
    if (event.type === 'job.state' || event.type === 'job.progress') {
      const hooks = (event.job.definition as PipelineDefinition | null)?.webhooks;
      if (!hooks?.length || event.job.kind !== 'pipeline') return;
      const kind = event.type === 'job.state' ? 'job.StateChange' : 'job.Progress';
      this.track(this.dispatch(event.job, hooks, kind, { job: this.render.job(event.job) }));
    } else if (event.type === 'task.state' || event.type === 'task.progress') {
      const kind = event.type === 'task.state' ? 'task.StateChange' : 'task.Progress';
      this.track(this.dispatchForTask(event.task, kind));
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Most jobs have no task webhooks; remember which do so that task events cost no
   * query. Jobs not seen since start (from before a restart) are looked up once.
   */
  private async hasTaskHooks(jobId: string): Promise<boolean> {
    let known = this.taskHooksByJob.get(jobId);
    if (known === undefined) {
      const job = await jobsRepo.get(this.store.db, jobId);
      known = hasTaskEvents(job?.definition);
      this.remember(jobId, known);
    }
    return known;
  }

  private remember(jobId: string, hasHooks: boolean): void {
    if (this.taskHooksByJob.size >= 10_000) this.taskHooksByJob.delete(this.taskHooksByJob.keys().next().value!);
    this.taskHooksByJob.set(jobId, hasHooks);
  }

  private async dispatchForTask(task: Task, kind: string): Promise<void> {
    if (!(await this.hasTaskHooks(task.jobId))) return;
    const job = await jobsRepo.get(this.store.db, task.jobId);
    const hooks = (job?.definition as PipelineDefinition | null)?.webhooks;
    if (!job || !hooks?.some((hook) => hook.event === kind)) return;
    await this.dispatch(job, hooks, kind, { job: this.render.job(job), task: this.render.task(task) });
  }

  private async dispatch(job: Job, hooks: PipelineWebhook[], kind: string, subject: { job: unknown; task?: unknown }): Promise<void> {
    const secrets = Object.values(job.secrets).filter((value) => value.length > 0);
    // Neither the body nor the `if` sees a secret, whichever renderer made them (a task's env may hold one).
    const shown = redact(subject, secrets) as typeof subject;
    const body = shown.task ?? shown.job;
    const deliveries: Delivery[] = [];
    for (const hook of hooks) {
      if ((hook.event ?? 'job.StateChange') !== kind) continue;
      if (hook.if && !this.conditionHolds(hook.if, shown)) continue;
      const resolved = this.resolve(hook, job, secrets);
      if (resolved) deliveries.push({ ...resolved, body });
    }
    await Promise.all(deliveries.map((delivery) => this.deliver(delivery)));
  }

  /** Evaluates the `if` against the rendered job (and task), as Tork evaluates it against their summaries. */
  private conditionHolds(condition: string, subject: Record<string, unknown>): boolean {
    try {
      const value = evaluateLoose(condition, subject);
      if (typeof value !== 'boolean' && !isTrue(value) && !/^\s*false\s*$/i.test(String(value))) {
        this.log.warn({ condition, value: String(value) }, 'webhook condition is not true or false; not calling it');
      }
      return isTrue(value);
    } catch (error) {
      this.log.warn({ err: error, condition }, 'webhook condition failed; not calling it');
      return false;
    }
  }

  /**
   * A webhook's `url` and `headers` may hold `{{ … }}` over the job's context
   * (`inputs`, `secrets`, `tasks`, `job`), evaluated for each call.
   */
  private resolve(hook: PipelineWebhook, job: Job, secrets: readonly string[]): Omit<Delivery, 'body'> | undefined {
    const headers = hook.headers ?? {};
    const templated = hook.url.includes('{{') || Object.values(headers).some((value) => value.includes('{{'));
    if (!templated) return { url: hook.url, shownUrl: hook.url, headers };
    try {
      const context = expressionContext(job);
      const url = evaluateTemplate(hook.url, context);
      const evaluated = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, evaluateTemplate(value, context)]));
      return { url, shownUrl: maskSecrets(url, secrets), headers: evaluated };
    } catch (error) {
      this.log.warn({ err: error, url: hook.url }, 'webhook templates failed; not calling it');
      return undefined;
    }
  }

  private async deliver({ url, shownUrl, headers, body }: Delivery): Promise<void> {
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (response.ok) {
          this.log.debug({ url: shownUrl, status: response.status }, 'webhook delivered');
          return;
        }
        // A 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.log.warn({ url: shownUrl, status: response.status }, 'webhook rejected');
          return;
        }
        this.log.warn({ url: shownUrl, status: response.status, attempt }, 'webhook failed');
      } catch (error) {
        this.log.warn({ url: shownUrl, err: error, attempt }, 'webhook failed');
      }
      if (attempt < this.options.attempts) {
        await new Promise((resolve) => setTimeout(resolve, this.options.backoffMs * 2 ** (attempt - 1)).unref());
      }
    }
  }
}
