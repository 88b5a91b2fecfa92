/**
 * The file operations the quarantine is built from. Every read of a target follows safe-read's
 * rules (main/engine/scan/safe-read.ts): links resolved by the caller first, then the path must be
 * a regular file that is not a link, opened without blocking and without following a link, and
 * the opened file must be the one checked (fstat). Every write goes to a new file ('wx', never
 * through a link someone left at its name) in the target's own folder and is renamed or linked
 * into place: a reader sees the old file or the new one, never half of one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { kindOfStats, ReadRefusal } from '../scan/safe-read.js';

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const CHUNK = 1024 * 1024;

/** The facts of a file the quarantine keeps, and compares before it changes anything. */
export interface FileFacts {
  dev: number;
  ino: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

function factsOf(st: Stats, atimeMs = st.atimeMs): FileFacts {
  return {
    dev: st.dev,
    ino: st.ino,
    size: st.size,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    atimeMs,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
  };
}

/**
 * Opens a regular file that is not a link, of at most `maxBytes`, for reading. The access time is
 * taken before the open, since reading it may move it. Throws a ReadRefusal for anything else.
 */
export async function openVerified(path: string, maxBytes: number): Promise<{ fh: FileHandle; facts: FileFacts }> {
  const before = await lstat(path);
  if (before.isSymbolicLink()) throw new ReadRefusal('ELOOP', path, 'symbolic link', null, null, maxBytes);
  if (!before.isFile()) {
    throw new ReadRefusal(before.isDirectory() ? 'EISDIR' : 'ENOTREG', path, kindOfStats(before), null, null, maxBytes);
  }
  if (before.size > maxBytes) throw new ReadRefusal('EFBIG', path, 'file', null, before.size, maxBytes);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new ReadRefusal('ECHANGED', path, 'symbolic link', null, null, maxBytes);
    }
    throw e;
  }
  const st = await fh.stat();
  if (st.dev !== before.dev || st.ino !== before.ino || !st.isFile() || st.size > maxBytes) {
    await fh.close();
    throw new ReadRefusal('ECHANGED', path, kindOfStats(st), null, null, maxBytes);
  }
  return { fh, facts: factsOf(st, before.atimeMs) };
}

/**
 * Reads all of an opened file (its fstat size, plus one byte to notice growth), handing each chunk
 * to `sink`. Returns the SHA-256 of what was read; a file that grew or shrank while read is refused.
 */
export async function readAllFrom(
  fh: FileHandle,
  path: string,
  size: number,
  sink: (chunk: Buffer) => Promise<void> | void,
): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, size + 1));
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    if (pos > size) throw new ReadRefusal('ECHANGED', path, 'file', null, null, size);
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    await sink(chunk);
  }
  if (pos !== size) throw new ReadRefusal('ECHANGED', path, 'file', null, null, size);
  return hash.digest('hex');
}

export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A new temp file beside `target` (same folder, so a rename into place is atomic). */
export function tempBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.idlewatch-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

export interface NewFileMeta {
  mode: number;
  /** Set only where Idlewatch may (as root, or to its own ids). */
  owner: { uid: number; gid: number } | null;
  /** Access and modification times to put back; null keeps "now". */
  times: { atimeMs: number; mtimeMs: number } | null;
}

/**
 * Creates `path` (never an existing name) holding what `fill` writes, with the mode, owner and
 * times asked for, flushed to disk. On failure the half-made file is removed.
 */
export async function createFile(
  path: string,
  fill: (fh: FileHandle) => Promise<void>,
  meta: NewFileMeta,
): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fill(fh);
    // Owner first: a chown clears the set-user-ID and set-group-ID bits a chmod before it had set.
    if (meta.owner) await fh.chown(meta.owner.uid, meta.owner.gid);
    await fh.chmod(meta.mode);
    // Last, after every write: a write would move the modification time again.
    if (meta.times) await fh.utimes(meta.times.atimeMs / 1000, meta.times.mtimeMs / 1000);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw e;
  }
  await fh.close();
}

/** Writes all of `data` at the handle's start. */
export async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, off);
    off += bytesWritten;
  }
}

/** Flushes a folder's entries (a rename, a link, an unlink) to disk where the system can. */
export async function syncFolder(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows and some file systems cannot flush a folder: the change is made, only less durable.
  }
}

/** Same file, not written to since (ctime moves on every write, chmod, chown and link change). */
export function sameFile(a: FileFacts, b: FileFacts): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The facts of what is at `path` now, without following a link; null when nothing is there. */
export async function factsAt(path: string): Promise<(FileFacts & { isFile: boolean; isLink: boolean }) | null> {
  try {
    const st = await lstat(path);
    return { ...factsOf(st), isFile: st.isFile(), isLink: st.isSymbolicLink() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The owner to give a re-created file: as root, the original one; otherwise only when it is ours
 * already (the system would refuse anything else), with a note saying what was not put back.
 */
export function ownerToSet(uid: number, gid: number): { owner: NewFileMeta['owner']; note: string | null } {
  if (process.platform === 'win32' || uid < 0) return { owner: null, note: null };
  const me = process.getuid?.();
  if (me === 0) return { owner: { uid, gid }, note: null };
  if (me === uid) return { owner: null, note: null };
  return {
    owner: null,
    note: `the owner (uid ${uid}, gid ${gid}) could not be put back without administrator rights; the file belongs to uid ${me}`,
  };
}
