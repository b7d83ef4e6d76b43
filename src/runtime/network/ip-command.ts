import { spawn } from 'node:child_process';

/** Runs iproute2's `ip` with `args` (and `input` on stdin for -batch); rejects with what it printed on failure. */
export function runIp(ip: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ip, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || `exit code ${code}`}`));
    });
    if (input !== undefined) {
      // An `ip` that fails early stops reading: its exit code tells why, not the broken pipe.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}
