import { GantryError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';

/**
 * Reads a password for `--password-stdin`: the first line of stdin, without its
 * line ending. On a terminal the typing is not echoed (the terminal goes raw
 * and nothing is written back), and it is asked twice so a typo cannot lock
 * the user out; from a pipe (`printf %s "$PW" | gantry users add …`) the line
 * is taken as it is. Never printed anywhere.
 */
export async function readSecretLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY !== true) return firstLine(await readPiped(stdin));
  const [first, again] = await readHidden(stdin, [prompt, 'again: ']);
  if (first !== again) throw new GantryError('invalid_input', 'the two passwords differ');
  return first!;
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  const line = (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '');
  if (line === '') throw new GantryError('invalid_input', 'no password on stdin (--password-stdin reads one line)');
  return line;
}

/** Reads stdin up to its first newline (or its end), then lets it go. */
function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stdin.off('data', onData).off('end', done).off('error', reject);
      stdin.pause();
      resolve(text);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    };
    stdin.on('data', onData).once('end', done).once('error', reject);
  });
}

/**
 * Lines typed on the terminal, one per prompt, with echo off: Enter ends one,
 * Backspace edits it, Ctrl-C stops the CLI. Keys that arrive together (a paste
 * of both lines) are split between the prompts, none lost.
 */
function readHidden(stdin: NodeJS.ReadStream, prompts: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  let line = '';
  // Echo goes off before the prompt shows, so nothing typed on seeing it is echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompts[0]!);
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\u0003') {
          finish();
          process.stderr.write('\n');
          process.exit(EXIT.interrupted);
        }
        if (char === '\r' || char === '\n' || char === '\u0004') {
          process.stderr.write('\n');
          if (line === '') {
            finish();
            reject(new GantryError('invalid_input', 'no password given'));
            return;
          }
          lines.push(line);
          line = '';
          if (lines.length === prompts.length) {
            finish();
            resolve(lines);
            return;
          }
          process.stderr.write(prompts[lines.length]!);
        } else if (char === '\u007f' || char === '\b') {
          line = [...line].slice(0, -1).join('');
        } else if (char >= ' ') {
          line += char;
        }
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
