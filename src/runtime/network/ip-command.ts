import { spawn } from 'node:child_process';

/** Runs iproute2's `ip` with `args` (and `input` on stdin for -batch); rejects with what it printed on failure. */
export function runIp(ip: string, args: string[], input?: string): Promise<void> {
  return run(ip, args, input);
}

/**
 * Runs several `ip` commands in one shell, one after the other, stopping at the
 * first that fails: one process start from Gantry instead of one per command.
 * Arguments are quoted for the shell.
 */
export function runIpCommands(ip: string, commands: string[][]): Promise<void> {
  const script = commands.map((args) => [ip, ...args].map(quote).join(' ')).join(' && ');
  return run('/bin/sh', ['-c', script]);
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function run(file: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${file === '/bin/sh' ? 'ip' : file} ${args.join(' ')}: ${stderr.trim() || `exit code ${code}`}`));
    });
    if (input !== undefined) {
      // An `ip` that fails early stops reading: its exit code tells why, not the broken pipe.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}
