import type { Command } from 'commander';
import { clientFor, note, positiveInt, printText, stdoutIsTerminal, withClientOptions, type ClientFlags } from '../client-options.js';
import type { TorkClient } from '../http-client.js';
import { followJob, positionText, reportEnd } from '../job-watch.js';
import { NONE, formatSpan, formatTime, stateCell, truncate } from '../output/format.js';
import { renderTable, type Cell } from '../output/table.js';
import { TERMINAL_STATES, type Job, type JobSummary, type LogPart } from '../tork-types.js';

interface PageFlags extends ClientFlags {
  page?: number;
  size?: number;
  query?: string;
}

interface LogFlags extends PageFlags {
  follow?: boolean;
}

/** Page size `jobs logs` uses to fetch a whole log: the server's maximum, fewest requests. */
const LOG_PAGE_MAX = 100;

/** Error cells are cut on a terminal so one long error does not wrap the whole table. */
const ERROR_CELL_MAX = 60;

/** End of a job: when it completed or failed. */
const endedAt = (job: { completedAt?: string; failedAt?: string }): string | undefined => job.completedAt ?? job.failedAt;

/**
 * How long a job or task ran, counting up while it runs. A cancelled job carries
 * no end time (Tork's job has no `cancelledAt`), so an ended one without an end
 * shows `-` rather than a duration that keeps growing.
 */
function runSpan(item: { state?: string; startedAt?: string; completedAt?: string; failedAt?: string }): string {
  const end = endedAt(item);
  if (end === undefined && item.state !== undefined && TERMINAL_STATES.has(item.state)) return NONE;
  return formatSpan(item.startedAt, end);
}

function jobRow(job: JobSummary): Cell[] {
  return [job.id, job.name ?? NONE, stateCell(job.state), formatTime(job.createdAt), runSpan(job)];
}

async function listJobs(flags: PageFlags): Promise<void> {
  const answer = await clientFor(flags).listJobs({ page: flags.page, size: flags.size, q: flags.query });
  if (flags.json) return printText(answer.text);
  const page = answer.body;
  if (page.items.length === 0) {
    note(flags.query ? `no jobs match "${flags.query}"` : page.number > 1 ? `no jobs on page ${page.number}` : 'no jobs');
    return;
  }
  process.stdout.write(renderTable(['ID', 'NAME', 'STATE', 'CREATED', 'DURATION'], page.items.map(jobRow), { color: stdoutIsTerminal() }));
  if (page.totalPages > 1) {
    const total = page.totalItems === undefined ? '' : ` (${page.totalItems} jobs)`;
    const more = page.number < page.totalPages ? `; --page ${page.number + 1} for more` : '';
    note(`page ${page.number} of ${page.totalPages}${total}${more}`);
  }
}

function describeJob(job: Job, color: boolean): string {
  const fields: Array<[string, Cell]> = [
    ['ID', job.id],
    ['NAME', job.name ?? NONE],
    ['STATE', stateCell(job.state)],
    ['TASK', positionText(job) || NONE],
    ['CREATED', formatTime(job.createdAt)],
    ['STARTED', formatTime(job.startedAt)],
    ['ENDED', formatTime(endedAt(job))],
    ['DURATION', runSpan(job)],
  ];
  if (job.description) fields.splice(2, 0, ['DESCRIPTION', job.description]);
  if (job.result) fields.push(['RESULT', job.result]);
  if (job.error) fields.push(['ERROR', { text: job.error, style: 'red' }]);
  const summary = renderTable([], fields.map(([key, value]) => [{ text: `${key}:`, style: 'bold' }, value]), { color });
  if (job.execution.length === 0) return `${summary}\nno task executions yet\n`;
  const rows = job.execution.map((task): Cell[] => [
    task.name ?? NONE,
    stateCell(task.state),
    formatTime(task.startedAt),
    runSpan(task),
    task.error ? (color ? truncate(task.error, ERROR_CELL_MAX) : task.error) : NONE,
  ]);
  return `${summary}\n${renderTable(['NAME', 'STATE', 'STARTED', 'DURATION', 'ERROR'], rows, { color })}`;
}

async function getJob(id: string, flags: ClientFlags): Promise<void> {
  const answer = await clientFor(flags).getJob(id);
  printText(flags.json ? answer.text : describeJob(answer.body, stdoutIsTerminal()));
}

async function putJob(action: 'cancel' | 'restart', id: string, flags: ClientFlags): Promise<void> {
  const client = clientFor(flags);
  const answer = action === 'cancel' ? await client.cancelJob(id) : await client.restartJob(id);
  printText(flags.json ? answer.text : answer.body.status || 'OK');
}

/**
 * Every part of the log, oldest first. Pages come newest first, so the last page
 * holds the oldest parts; parts written while paging push older ones onto later
 * pages, hence the de-duplication by id.
 */
async function wholeLog(client: TorkClient, id: string, flags: LogFlags): Promise<LogPart[]> {
  const size = flags.size ?? LOG_PAGE_MAX;
  const pages: LogPart[][] = [];
  for (let page = 1; ; page++) {
    const { body } = await client.jobLog(id, { page, size, q: flags.query });
    pages.push(body.items);
    if (page >= body.totalPages || body.items.length === 0) break;
  }
  const byId = new Map<string, LogPart>();
  for (const part of pages.flat().reverse()) if (!byId.has(String(part.id))) byId.set(String(part.id), part);
  // A Map keeps insertion order: oldest first.
  return [...byId.values()];
}

async function showLogs(id: string, flags: LogFlags): Promise<void> {
  const client = clientFor(flags);
  if (flags.follow) {
    const startedAt = Date.now();
    process.exitCode = reportEnd(await followJob(client, id, flags.json === true), startedAt);
    return;
  }
  if (flags.json || flags.page !== undefined) {
    const answer = await client.jobLog(id, { page: flags.page, size: flags.size, q: flags.query });
    if (flags.json) return printText(answer.text);
    for (const part of [...answer.body.items].reverse()) process.stdout.write(part.contents);
    return;
  }
  for (const part of await wholeLog(client, id, flags)) process.stdout.write(part.contents);
}

const pageOptions = (command: Command, what: string): Command =>
  command
    .option('--page <n>', `page of ${what} to show (1 is the newest)`, positiveInt)
    .option('--size <n>', `${what} per page`, positiveInt)
    .option('-q, --query <text>', `only ${what} containing this text`);

/** `gantry jobs ls|get|cancel|restart|logs`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('list, inspect, cancel and restart jobs, and read their logs');
  // `gantry jobs` alone lists (ls is the default), so commander hands an unknown word to
  // ls as an argument ("too many arguments for 'ls'"); name it for what it is.
  jobs.hook('preSubcommand', (command) => {
    const [first] = command.args;
    if (first === undefined || first.startsWith('-')) return;
    if (!command.commands.some((sub) => sub.name() === first || sub.aliases().includes(first))) {
      command.error(`unknown command 'jobs ${first}'`, { code: 'commander.unknownCommand' });
    }
  });

  withClientOptions(pageOptions(jobs.command('ls', { isDefault: true }).alias('list').description('list recent jobs, newest first'), 'jobs')).action(
    (flags: PageFlags) => listJobs(flags),
  );

  withClientOptions(jobs.command('get').description('show a job and its task executions').argument('<id>', 'job id')).action(
    (id: string, flags: ClientFlags) => getJob(id, flags),
  );

  withClientOptions(jobs.command('cancel').description('cancel a running or scheduled job').argument('<id>', 'job id')).action(
    (id: string, flags: ClientFlags) => putJob('cancel', id, flags),
  );

  withClientOptions(jobs.command('restart').description('restart a failed or cancelled job').argument('<id>', 'job id')).action(
    (id: string, flags: ClientFlags) => putJob('restart', id, flags),
  );

  withClientOptions(
    pageOptions(jobs.command('logs').description("print a job's log, oldest first").argument('<id>', 'job id'), 'log parts').option(
      '--follow',
      'stream the log until the job ends; exit 0 when COMPLETED, 1 when FAILED or CANCELLED',
    ),
  ).action((id: string, flags: LogFlags) => showLogs(id, flags));
}
