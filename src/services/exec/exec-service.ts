import { GantryError, invalidInput } from '../../core/errors.js';
import type { Principal } from '../../core/identity.js';
import { newId, newUuidV7 } from '../../core/ids.js';
import type { Task } from '../../core/model.js';
import type { NewJob } from '../../store/jobs-repo.js';
import { EXEC_LANGUAGES, type ExecLanguage, type WarmPools } from '../../runtime/warm/warm-pools.js';
import { MAX_CODE_BYTES, type SandboxRun } from '../../runtime/warm/warm-template.js';
import type { ExecMetrics, ExecOutcome } from './exec-metrics.js';
import type { ExecRecorder } from './exec-recorder.js';
import { RunLimiter } from './run-limiter.js';

/** One snippet to run. */
export interface ExecRequest {
  code: string;
  language: ExecLanguage;
  timeoutSeconds: number;
}

/** What became of it, in Zeroboot's terms (the dialect renders the field names). */
export interface ExecResult {
  id: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  forkTimeMs: number;
  execTimeMs: number;
  totalTimeMs: number;
}

export interface ExecSettings {
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  maxRunning: number;
  queueLength: number;
  queueTimeoutMs: number;
  maxBatch: number;
  memoryMb: number;
  outputCapBytes: number;
}

/** The names a snippet's language may be given: Zeroboot's `javascript` is node. */
const LANGUAGE_NAMES: Record<string, ExecLanguage> = { python: 'python', node: 'node', javascript: 'node' };

/** The queue exec records carry (they never wait in a task queue). */
const EXEC_QUEUE = 'exec';

/**
 * Runs code snippets, each once, in a fresh sandbox from its language's warm
 * pool, and records each as a job of kind `exec`. Bounded: past `maxRunning`
 * per language snippets wait in a queue of `queueLength`, past that they are
 * refused with `unavailable`.
 */
export class ExecService {
  private readonly limiters: Record<ExecLanguage, RunLimiter>;

  constructor(
    private readonly pools: WarmPools,
    readonly settings: ExecSettings,
    private readonly recorder: ExecRecorder,
    private readonly metrics: () => ExecMetrics | undefined,
  ) {
    const limiter = (language: ExecLanguage): RunLimiter => new RunLimiter(language, settings.maxRunning, settings.queueLength, settings.queueTimeoutMs);
    this.limiters = { python: limiter('python'), node: limiter('node') };
  }

  /** A request's fields checked and defaulted; `invalid_input` names what is wrong. */
  parse(input: { code?: unknown; language?: unknown; timeout_seconds?: unknown }, where = ''): ExecRequest {
    const { code, language = 'python', timeout_seconds: timeout = this.settings.defaultTimeoutSeconds } = input;
    if (code === undefined) throw invalidInput(`${where}code is required`);
    if (typeof code !== 'string') throw invalidInput(`${where}code must be a string`);
    if (Buffer.byteLength(code) > MAX_CODE_BYTES) throw new GantryError('payload_too_large', `${where}code is longer than ${MAX_CODE_BYTES} bytes`);
    if (typeof language !== 'string') throw invalidInput(`${where}language must be a string: python, node or javascript`);
    const known = LANGUAGE_NAMES[language];
    if (!known) throw invalidInput(`${where}unknown language ${JSON.stringify(language)}: use python, node or javascript`);
    if (typeof timeout !== 'number' || !Number.isInteger(timeout)) throw invalidInput(`${where}timeout_seconds must be a whole number of seconds`);
    if (timeout < 1 || timeout > this.settings.maxTimeoutSeconds) throw invalidInput(`${where}timeout_seconds must be between 1 and ${this.settings.maxTimeoutSeconds}`);
    return { code, language: known, timeoutSeconds: timeout };
  }

  /** Runs one snippet. Throws `unavailable` when its pool cannot take it; any other failure is in the result. */
  async run(request: ExecRequest, owner: Principal): Promise<ExecResult> {
    const accepted = performance.now();
    const createdAt = Date.now();
    const state = this.pools.get(request.language);
    if (!('template' in state)) {
      this.metrics()?.refused(request.language, 'unavailable');
      throw new GantryError('unavailable', `${request.language} snippets cannot run here: ${state.problem}`);
    }
    let run: SandboxRun;
    try {
      run = await this.limiters[request.language].run(() => state.template.run(request.code, request.timeoutSeconds));
    } catch (error) {
      if (error instanceof GantryError) {
        this.metrics()?.refused(request.language, 'busy');
        throw error;
      }
      this.metrics()?.refused(request.language, 'unavailable');
      throw new GantryError('unavailable', (error as Error).message, { details: { retryAfterSeconds: 1 } });
    }
    const totalTimeMs = performance.now() - accepted;
    const result = this.resultOf(run, request, totalTimeMs);
    const outcome: ExecOutcome = run.timedOut ? 'timeout' : result.exitCode === 0 ? 'success' : 'error';
    this.metrics()?.ran(request.language, outcome, { forkMs: run.forkMs, execMs: run.execMs, totalMs: totalTimeMs });
    this.recorder.record(this.recordOf(request, result, owner, createdAt));
    return result;
  }

  /** Runs snippets in parallel, each in its own sandbox; results in request order. A snippet its pool cannot take fails alone. */
  runBatch(requests: readonly ExecRequest[], owner: Principal): Promise<ExecResult[]> {
    return Promise.all(
      requests.map((request) =>
        this.run(request, owner).catch((error: unknown) => {
          if (!(error instanceof GantryError)) throw error;
          return { id: newUuidV7(), stdout: '', stderr: error.message, exitCode: -1, forkTimeMs: 0, execTimeMs: 0, totalTimeMs: 0 };
        }),
      ),
    );
  }

  /** Writes the records of every snippet answered so far. */
  flushRecords(): Promise<void> {
    return this.recorder.flush();
  }

  /** Each language's template: ready or not, and what a sandbox may use. */
  health(): Record<ExecLanguage, { ready: boolean; memory_mb: number; numpy: boolean; spares: number; running: number; queued: number; problem?: string }> {
    const entry = (language: ExecLanguage) => {
      const state = this.pools.get(language);
      const limiter = this.limiters[language];
      if (!('template' in state)) return { ready: false, memory_mb: this.settings.memoryMb, numpy: false, spares: 0, running: 0, queued: 0, problem: state.problem };
      const { template } = state;
      return {
        ready: template.ready,
        memory_mb: this.settings.memoryMb,
        numpy: language === 'python' && template.numpy,
        spares: template.options.spares,
        running: limiter.active,
        queued: limiter.queued,
        ...(template.problem !== undefined ? { problem: template.problem } : {}),
      };
    };
    return { python: entry('python'), node: entry('node') };
  }

  /** For the metrics: what is running and waiting. */
  load(): { running: number; queued: Record<ExecLanguage, number> } {
    return {
      running: EXEC_LANGUAGES.reduce((sum, language) => sum + this.limiters[language].active, 0),
      queued: { python: this.limiters.python.queued, node: this.limiters.node.queued },
    };
  }

  private resultOf(run: SandboxRun, request: ExecRequest, totalTimeMs: number): ExecResult {
    const timings = { forkTimeMs: round2(run.forkMs), execTimeMs: round2(run.execMs), totalTimeMs: round2(totalTimeMs) };
    const id = newUuidV7();
    // As Zeroboot answers a timeout: -1, no output, and the reason.
    if (run.timedOut) return { id, stdout: '', stderr: `Execution timed out after ${request.timeoutSeconds}s`, exitCode: -1, ...timings };
    let stderr = run.stderr;
    let exitCode = run.exitCode ?? -1;
    if (run.truncated) {
      stderr += `${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}[gantry: output truncated at ${this.settings.outputCapBytes} bytes; the snippet was stopped]\n`;
      exitCode = -1;
    } else if (run.outOfMemory) {
      stderr += `${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}[gantry: the snippet ran out of memory (${this.settings.memoryMb} MiB) and was killed]\n`;
    } else if (run.signal !== null) {
      stderr += `${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}[gantry: the snippet was killed by signal ${run.signal}${run.signal === 24 ? ' (its cpu time ran out)' : ''}]\n`;
    }
    return { id, stdout: run.stdout, stderr, exitCode, ...timings };
  }

  private recordOf(request: ExecRequest, result: ExecResult, owner: Principal, createdAt: number): { job: NewJob; task: Task } {
    // The store keeps whole milliseconds.
    const ended = createdAt + Math.round(result.totalTimeMs);
    const ok = result.exitCode === 0;
    const jobId = newId();
    const job: NewJob = {
      id: jobId,
      kind: 'exec',
      owner: owner.username,
      name: `exec ${request.language}`,
      description: null,
      state: ok ? 'completed' : 'failed',
      priority: 0,
      queue: EXEC_QUEUE,
      tags: ['exec', request.language],
      definition: { code: request.code },
      inputs: {},
      secrets: {},
      context: { tasks: {} },
      position: 1,
      taskCount: 1,
      result: JSON.stringify({ stdout: result.stdout, stderr: result.stderr }),
      error: ok ? null : `exit code ${result.exitCode}`,
      progress: 100,
      parentJobId: null,
      parentTaskId: null,
      scheduledJobId: null,
      createdAt,
      scheduledAt: createdAt,
      startedAt: createdAt,
      completedAt: ok ? ended : null,
      failedAt: ok ? null : ended,
      cancelledAt: null,
    };
    const task: Task = {
      id: result.id.replaceAll('-', ''),
      jobId,
      parentId: null,
      position: 1,
      siblingIndex: 0,
      kind: 'simple',
      name: request.language,
      description: null,
      state: ok ? 'completed' : 'failed',
      definition: { language: request.language, timeoutSeconds: request.timeoutSeconds, execId: result.id },
      runSpec: null,
      queue: EXEC_QUEUE,
      priority: 0,
      attempt: 1,
      retryLimit: 0,
      nodeId: null,
      backendId: null,
      exitCode: result.exitCode,
      error: ok ? null : `exit code ${result.exitCode}`,
      result: JSON.stringify({ forkTimeMs: result.forkTimeMs, execTimeMs: result.execTimeMs, totalTimeMs: result.totalTimeMs }),
      progress: 100,
      completions: 0,
      size: 0,
      subjobId: null,
      createdAt,
      enqueuedAt: createdAt,
      runAfter: createdAt,
      scheduledAt: createdAt,
      startedAt: createdAt,
      completedAt: ok ? ended : null,
      failedAt: ok ? null : ended,
    };
    return { job, task };
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
