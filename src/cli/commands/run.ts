import type { Command } from 'commander';
import { clientFor, printText, withClientOptions, type ClientFlags } from '../client-options.js';
import { ServerError } from '../http-client.js';
import { followJob, reportEnd, waitForJob } from '../job-watch.js';
import { readJobFile } from '../read-job-file.js';

interface RunFlags extends ClientFlags {
  wait?: boolean;
  follow?: boolean;
}

/** `gantry run FILE`: submit a job, optionally wait for it or stream its log. */
export function registerRun(program: Command): void {
  withClientOptions(
    program
      .command('run')
      .description('submit a job definition (YAML or JSON) and print its id')
      .argument('<file>', 'job file: .yaml, .yml or .json; - reads stdin')
      .option('--wait', 'wait for the job to end; exit 0 when COMPLETED, 1 when FAILED or CANCELLED')
      .option('--follow', 'stream the job log to stdout while it runs (implies --wait)'),
  ).action(async (file: string, flags: RunFlags) => {
    const job = await readJobFile(file);
    const client = clientFor(flags);
    const startedAt = Date.now();
    const submitted = await client.submitJob(job.text, job.contentType).catch((error: unknown) => {
      // The server's message says what and where (`line 3, column 5: …`); say in which file.
      if (error instanceof ServerError && error.status === 400) throw new ServerError(`${file === '-' ? 'stdin' : file}: ${error.message}`, error.status);
      throw error;
    });
    const id = submitted.body.id;

    if (flags.follow) {
      // stdout is the job's log here, so the id goes to stderr.
      if (!flags.json) process.stderr.write(`job ${id}\n`);
      process.exitCode = reportEnd(await followJob(client, id, flags.json === true), startedAt);
      return;
    }
    if (!flags.wait) {
      printText(flags.json ? submitted.text : id);
      return;
    }
    if (!flags.json) printText(id);
    const ended = await waitForJob(client, id, startedAt);
    if (flags.json) printText(ended.text);
    process.exitCode = reportEnd(ended.body, startedAt);
  });
}
