import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { safeText } from './format.js';

/**
 * What went wrong with a file operation, in words: Node's own message ("ENOENT: no such file or
 * directory, open '/x'") leads with a code and repeats the path the caller already names.
 */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOTDIR':
      return 'a part of its path is not a folder';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default: {
      const message = err.message ?? String(e);
      return message.replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '');
    }
  }
}

/**
 * Why a file cannot be created at `path`, or null when it can be tried. Checked before the work
 * starts, so a recording or a scan is not wasted on a typo in the folder name; the folder is not
 * created, because a missing folder is far more often a typo than a wish.
 */
export async function outputPathProblem(path: string): Promise<string | null> {
  const shown = safeText(path, 300);
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) return `${shown} is a folder; give a file name inside it`;
  const dir = dirname(path);
  const shownDir = safeText(dir, 300);
  let folder: Stats;
  try {
    folder = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `folder ${shownDir} does not exist`;
    if (code === 'ENOTDIR') return `folder ${shownDir} does not exist (a part of its path is a file)`;
    return `cannot use folder ${shownDir}: ${fsReason(e)}`;
  }
  if (!folder.isDirectory()) return `${shownDir} is a file, not a folder`;
  try {
    await access(dir, constants.W_OK);
  } catch {
    return `folder ${shownDir} is not writable (permission denied)`;
  }
  return null;
}
