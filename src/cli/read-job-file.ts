import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { GantryError } from '../core/errors.js';

/** A job definition ready to POST: its text and the content type Tork expects for it. */
export interface JobFile {
  text: string;
  contentType: 'text/yaml' | 'application/json';
}

const BY_EXTENSION: Record<string, JobFile['contentType']> = {
  '.yaml': 'text/yaml',
  '.yml': 'text/yaml',
  '.json': 'application/json',
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function unreadable(file: string, error: unknown): GantryError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
  return new GantryError('invalid_input', `cannot read ${file}: ${reason}`);
}

/**
 * Reads FILE (`-` is stdin). The extension picks the content type; stdin and
 * other names are sniffed, since JSON always starts with `{` and YAML job files never do.
 */
export async function readJobFile(file: string): Promise<JobFile> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file === '-' ? 'stdin' : file, error);
  }
  if (text.trim() === '') throw new GantryError('invalid_input', `${file === '-' ? 'stdin' : file} is empty: expected a job definition`);
  const known = file === '-' ? undefined : BY_EXTENSION[extname(file).toLowerCase()];
  return { text, contentType: known ?? (text.trimStart().startsWith('{') ? 'application/json' : 'text/yaml') };
}
