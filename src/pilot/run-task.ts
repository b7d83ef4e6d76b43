import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TaskCommand {
  args: string;
  env: Record<string, string>;
  infileExt: string;
  outfileExt: string;
  timeoutMs: number | undefined;
  /** A directory shared by every task of this pilot (EWMS's data hub). */
  dataHub: string;
  workRoot: string;
}

export type TaskResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Runs the task command on one event as EWMS's pilot does: the event is
 * written to an infile, `{{INFILE}}` and `{{OUTFILE}}` in the arguments name
 * the files (also in EWMS_TASK_INFILE and EWMS_TASK_OUTFILE), and the outfile
 * is the result. Text stays text; JSON files (`.json`) are read as JSON.
 */
export async function runTask(command: TaskCommand, event: unknown): Promise<TaskResult> {
  const id = randomUUID();
  const dir = join(command.workRoot, id);
  await mkdir(dir, { recursive: true });
  const infile = join(dir, `infile-${id}.${command.infileExt}`);
  const outfile = join(dir, `outfile-${id}.${command.outfileExt}`);
  try {
    if (typeof event === 'string') await writeFile(infile, event);
    else if (command.infileExt === 'json') await writeFile(infile, JSON.stringify(event));
    else return { ok: false, error: `Incoming-message data ('${typeof event}' type) must be JSON-serializable *and* use an infile with a '.json' extension (string data can have any file extension)` };
    const args = command.args
      .replaceAll('{{INFILE}}', infile)
      .replaceAll('{{IN_FILE}}', infile)
      .replaceAll('{{OUTFILE}}', outfile)
      .replaceAll('{{OUT_FILE}}', outfile)
      .replaceAll('{{DATA_HUB}}', command.dataHub);
    const ran = await run(args, { ...process.env, ...command.env, EWMS_TASK_INFILE: infile, EWMS_TASK_OUTFILE: outfile, EWMS_TASK_DATA_HUB_DIR: command.dataHub }, command.timeoutMs);
    if (ran.error) return { ok: false, error: ran.error };
    let text: string;
    try {
      text = await readFile(outfile, 'utf8');
    } catch {
      return { ok: false, error: `Outfile was not found: ${outfile}` };
    }
    if (command.outfileExt !== 'json') return { ok: true, value: text };
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      return { ok: false, error: `${(error as Error).message} for outfile (${outfile})` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(args: string, env: NodeJS.ProcessEnv, timeoutMs: number | undefined): Promise<{ error?: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', args], { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-2_000);
    });
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', (error) => resolve({ error: `the task could not start: ${error.message}` }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({});
      const last = stderr.trim().split('\n').pop() ?? '';
      const how = signal === 'SIGKILL' && timeoutMs ? `timed out after ${timeoutMs / 1000}s` : signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ error: last ? `task failed (${how}): ${last}` : `task failed (${how})` });
    });
  });
}
