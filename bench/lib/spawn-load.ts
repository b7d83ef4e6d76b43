/**
 * The baseline of the workflow benchmark in a small Node process of its own,
 * as a pilot is: the task alone, `count` times, `concurrency` at a time. Each
 * run writes an event to an infile, runs `sh -c 'cat IN > OUT'` and reads the
 * outfile back; no queue, no HTTP, no sandbox around it.
 *
 *   node --import tsx bench/lib/spawn-load.ts COUNT CONCURRENCY
 *
 * It prints `ready`, starts when a line arrives on stdin and prints
 * `done SECONDS` at the end. Its process is named `spawn-load`, so cpu.ts does
 * not count it as the runtime's launcher.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.title = 'spawn-load';
const [count, concurrency] = process.argv.slice(2).map(Number) as [number, number];
if (!(count > 0) || !(concurrency > 0)) throw new Error('usage: spawn-load COUNT CONCURRENCY');
const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-spawn-'));

async function task(index: number): Promise<void> {
  const infile = join(dir, `infile-${index}.in`);
  const outfile = join(dir, `outfile-${index}.out`);
  const event = `event ${index}`;
  await writeFile(infile, event);
  const child = spawn('/bin/sh', ['-c', `cat ${infile} > ${outfile}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`the task failed (exit ${String(code)})`);
  if ((await readFile(outfile, 'utf8')) !== event) throw new Error('the outfile differs from the infile');
}

console.log('ready');
await once(process.stdin, 'data');
const startedAt = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }),
);
const seconds = (performance.now() - startedAt) / 1000;
rmSync(dir, { recursive: true, force: true });
console.log(`done ${seconds}`);
process.exit(0);
