/**
 * Replaces a file with exact bytes, all or nothing: a temp file beside it (created new, never
 * through an existing name), flushed, given the old file's mode and owner, renamed over it. The
 * store's writeFileAtomic writes text as UTF-8; a hosts file is bytes and stays bytes.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteBytesOptions {
  mode: number;
  /** Set the owner too (only root can; ignored where that is not possible). */
  owner?: { uid: number; gid: number } | null;
  /** Runs just before the rename: throws to abandon the write (the target changed meanwhile). */
  beforeRename?: () => Promise<void>;
}

export async function writeBytesAtomic(path: string, data: Buffer, opts: WriteBytesOptions): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.idlewatch-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', opts.mode & 0o7777);
    try {
      await fh.writeFile(data);
      // The umask narrowed the mode given to open(); the file must get the old one exactly.
      await fh.chmod(opts.mode & 0o7777);
      if (opts.owner && process.platform !== 'win32' && process.getuid?.() === 0) {
        await fh.chown(opts.owner.uid, opts.owner.gid);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.beforeRename?.();
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some systems cannot flush a folder; that only costs the rename's survival of a power cut.
  }
}
