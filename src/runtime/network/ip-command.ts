import { spawn } from 'node:child_process';

/**
 * Runs a command to its end; rejects with what it wrote on stderr when it
 * fails. The process runtime passes one that starts commands through its small
 * launcher process: spawning from the server's own large process costs it
 * milliseconds of blocked event loop each time.
 */
export type CommandRunner = (file: string, args: string[]) => Promise<void>;

/** A runner that spawns from this process. */
export const spawnRunner: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `exit code ${code}`))));
  });

/**
 * Runs several `ip` commands in one shell, one after the other, stopping at the
 * first that fails: one process start instead of one per command. Arguments
 * are quoted for the shell.
 */
export function runIpCommands(run: CommandRunner, ip: string, commands: string[][]): Promise<void> {
  return runCommands(run, commands.map((args) => [ip, ...args]));
}

/** Several commands (each its program and arguments) in one shell, one after the other, up to the first that fails. */
export function runCommands(run: CommandRunner, commands: string[][]): Promise<void> {
  const script = commands.map((argv) => argv.map(quote).join(' ')).join(' && ');
  return run('/bin/sh', ['-c', script]).catch((error: unknown) => {
    throw new Error(`ip: ${(error as Error).message}`);
  });
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
