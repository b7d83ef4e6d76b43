import { printText } from './client-options.js';
import { EXIT } from './exit-codes.js';
import type { ApiResponse, TorkClient } from './http-client.js';
import { formatDuration } from './output/format.js';
import { ProgressLine } from './output/progress.js';
import { TERMINAL_STATES, type Job, type JobSummary } from './tork-types.js';

/** How often `--wait` asks for the job: quick enough to feel live, light on the server. */
export const POLL_INTERVAL_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Tenths of seconds on the live line: milliseconds would flicker, whole seconds look stuck. */
const liveElapsed = (ms: number): string => (ms < 60_000 ? `${(ms / 1_000).toFixed(1)}s` : formatDuration(ms));

/** `2/3`: which top-level task the job is at. Position runs one past the count once all are done. */
export function positionText(job: JobSummary): string {
  if (job.taskCount === undefined) return '';
  const position = Math.min(job.position ?? 0, job.taskCount);
  return `${position}/${job.taskCount}`;
}

/**
 * While waiting, Ctrl-C stops waiting, not the job: say so, so nobody thinks
 * they cancelled it. Returns the function that removes the handler.
 */
function onInterrupt(id: string, progress?: ProgressLine): () => void {
  const handler = (): void => {
    progress?.clear();
    process.stderr.write(`\ngantry: stopped watching; job ${id} keeps running (gantry jobs cancel ${id} stops it)\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/**
 * Polls `GET /jobs/{id}` until the job ends, showing progress (state, task
 * position, elapsed time) on stderr: a line redrawn in place on a terminal, a
 * plain line per change of state or task otherwise.
 */
export async function waitForJob(client: TorkClient, id: string, startedAt = Date.now()): Promise<ApiResponse<Job>> {
  const progress = new ProgressLine();
  const release = onInterrupt(id, progress);
  try {
    for (;;) {
      const answer = await client.getJob(id);
      const { state } = answer.body;
      if (TERMINAL_STATES.has(state)) return answer;
      const position = positionText(answer.body);
      const milestone = `${state}${position ? `  task ${position}` : ''}`;
      progress.update(`job ${id}  ${milestone}  ${liveElapsed(Date.now() - startedAt)}`, milestone);
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    progress.clear();
    release();
  }
}

/**
 * Streams the job's log to stdout as it is written (each part's `contents`, or
 * each NDJSON line as is with `json`) and resolves with the ended job.
 */
export async function followJob(client: TorkClient, id: string, json: boolean): Promise<JobSummary> {
  const release = onInterrupt(id);
  try {
    const end = await client.streamJobLog(id, (part, line) => {
      if (json) printText(line);
      else process.stdout.write(part.contents);
    });
    if (json) printText(end.text);
    return end.job;
  } finally {
    release();
  }
}

/** Run time by the server's clock when it has both ends, else as the CLI saw it. */
function elapsed(job: JobSummary, fallbackMs: number): string {
  const start = Date.parse(job.startedAt ?? job.createdAt ?? '');
  const end = Date.parse(job.completedAt ?? job.failedAt ?? '');
  return formatDuration(Number.isNaN(start) || Number.isNaN(end) ? fallbackMs : Math.max(0, end - start));
}

/**
 * Writes the final line on stderr and returns the exit code: 0 for COMPLETED,
 * 1 for FAILED or CANCELLED (with the job's error, which is the point of failing loudly).
 */
export function reportEnd(job: JobSummary, startedAt: number): number {
  const took = elapsed(job, Date.now() - startedAt);
  if (job.state === 'COMPLETED') {
    process.stderr.write(`job ${job.id} COMPLETED in ${took}\n`);
    return EXIT.ok;
  }
  const why = job.error ? `: ${job.error}` : '';
  process.stderr.write(`gantry: job ${job.id} ${job.state} after ${took}${why}\n`);
  return EXIT.failed;
}
