/**
 * Gantry's own reads and writes inside a work area, done as root in directories
 * the task can write to. Between steps nothing of the task runs (its processes
 * are gone), but it may have left a symlink, FIFO or directory where Gantry
 * expects a file: every access refuses to follow symlinks, never blocks, and
 * reads no more than it keeps.
 */
import { closeSync, constants, fchownSync, fstatSync, lstatSync, mkdirSync, chownSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Puts a file of Gantry's (owned by Gantry, `mode`, read-only for the task) in a
 * directory the task can write. If the file there is still the one Gantry made (a
 * regular file of Gantry's with `mode` and no other link) and already holds
 * `contents`, it stays; otherwise whatever is there is removed and the file made
 * anew. (Rewriting it in place would be slower: on ext4, truncating a file first
 * writes its pending data out.)
 */
export function placeOwnFile(path: string, contents: string, mode: number): void {
  const wanted = Buffer.from(contents);
  let fd: number | undefined;
  try {
    fd = openSync(path, READ);
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.uid === (process.getuid?.() ?? 0) && stat.nlink === 1 && (stat.mode & 0o7777) === mode && stat.size === wanted.length) {
      const present = Buffer.allocUnsafe(wanted.length);
      if (readSync(fd, present, 0, wanted.length, 0) === wanted.length && present.equals(wanted)) return;
    }
  } catch (error) {
    // Missing, or nothing Gantry can read as a file: made anew below.
    if (!['ENOENT', 'ELOOP', 'ENXIO', 'EISDIR', 'EAGAIN'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  clearPath(path);
  writeNewFile(path, contents, mode);
}

/** Writes a new file (failing if anything is in the way), owned by `owner` when given. */
export function writeNewFile(path: string, contents: string, mode: number, owner?: Owner): void {
  const fd = openSync(path, CREATE, mode);
  try {
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    if (contents !== '') writeSync(fd, contents);
  } finally {
    closeSync(fd);
  }
}

/** Removes what a previous step may have left at `path` (a file or symlink; not a directory). */
export function clearPath(path: string): void {
  const stat = lstatOrUndefined(path);
  if (!stat) return;
  if (stat.isDirectory()) throw new Error(`${path} is a directory`);
  unlinkSync(path);
}

/**
 * Writes a step's `files` (name → contents) under `root`, creating
 * subdirectories; names must stay inside `root`. Files and directories made
 * here belong to the task user so it can change them (in a container the task
 * is root and could too).
 */
export function writeTaskFiles(root: string, files: Record<string, string>, owner: Owner | undefined): void {
  for (const [name, contents] of Object.entries(files)) {
    const normal = posix.normalize(name);
    if (name === '' || posix.isAbsolute(name) || normal === '..' || normal.startsWith('../') || normal === '.') {
      throw new Error(`file name "${name}" must be a relative path inside the working directory`);
    }
    const parts = normal.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      const stat = lstatOrUndefined(dir);
      if (!stat) {
        mkdirSync(dir, { mode: 0o755 });
        if (owner) chownSync(dir, owner.uid, owner.gid);
      } else if (!stat.isDirectory()) {
        throw new Error(`cannot write file "${name}": ${part} is not a directory`);
      }
    }
    const path = join(root, normal);
    clearPath(path);
    writeNewFile(path, contents, 0o644, owner);
  }
}

/**
 * Reads at most `cap` bytes of a regular file the task wrote; undefined when it
 * does not exist, empty when it is anything but a regular file. What else a task
 * can make there reads as nothing: a symlink is not followed (ELOOP), a FIFO
 * opened without blocking has no writer left (0 bytes or EAGAIN), a socket
 * cannot be opened (ENXIO), a directory cannot be read (EISDIR); device nodes it
 * cannot make.
 */
export function readCapped(path: string, cap: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENXIO') return Buffer.alloc(0);
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(cap);
    let length = 0;
    while (length < cap) {
      const read = readSync(fd, buffer, length, cap - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EAGAIN') return Buffer.alloc(0);
    throw error;
  } finally {
    closeSync(fd);
  }
}
