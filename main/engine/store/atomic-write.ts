import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFailure } from './store-errors.js';

/** The file operations an atomic write needs; replaceable to simulate failing disks. */
export interface AtomicWriteFs {
  /** Creates `path` (never existing), writes `data`, flushes it to disk and closes it. */
  writeNew(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Flushes a directory's entries (the rename) to disk. */
  syncDir(dir: string): Promise<void>;
}

export const realAtomicFs: AtomicWriteFs = {
  async writeNew(path, data) {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename,
  unlink,
  async syncDir(dir) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/** Temp files of ours are named `.NAME.PID.RANDOM.tmp`, beside NAME. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Replaces `path` with `data` all-or-nothing: written to a temp file in the same folder, flushed,
 * renamed over the old file, then the folder flushed. A reader (or a crash) sees the old file or
 * the new one, never a half-written one. On failure the temp file is removed, the old file is
 * untouched, and a StoreWriteError says why (disk full, quota, read-only, permission).
 */
export async function writeFileAtomic(path: string, data: string, fs: AtomicWriteFs = realAtomicFs): Promise<void> {
  const tmp = tempNameFor(path);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await fs.writeNew(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => {});
    throw writeFailure(path, e);
  }
  // The new content is in place once rename returns; this only makes the rename survive a power
  // cut. Windows and some filesystems cannot flush a folder, which costs nothing but that guarantee.
  await fs.syncDir(dirname(path)).catch(() => {});
}

/**
 * Removes temp files that a save interrupted by a crash left beside `path`: those whose writer
 * (the pid in the name) no longer runs. A live writer's file is never touched.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
