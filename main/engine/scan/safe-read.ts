/**
 * The one way the scan and a persistence removal read a file. Files under scanned folders are
 * attacker-controlled, and a path that names a text file can hold anything: a link to /dev/zero
 * (an endless read), a FIFO (an open() that blocks until someone writes), a 2 GB file, a folder,
 * or a file swapped for one of those between a check and the read. So:
 *
 * - the path is stat()ed first and only a regular file is opened at all (opening a device can
 *   have effects of its own: a tape rewinds, a watchdog arms);
 * - it is opened with O_NONBLOCK (a FIFO swapped in after the stat cannot block the open) and
 *   O_NOCTTY (a terminal swapped in cannot become the scan's controlling terminal);
 * - fstat() on the opened descriptor must say the same regular file the stat saw: whatever is
 *   read is what was checked;
 * - at most the limit is read, through that descriptor, however large the file says it is or grows.
 *
 * A refusal is a ReadRefusal naming what the thing is, and where a link pointed, for the report.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink, stat } from 'node:fs/promises';

// Windows has neither flag (nor FIFOs that block an open); 0 leaves the flags as they are.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** What a path that should be a file turned out to be. */
export type FileKind =
  | 'file'
  | 'folder'
  | 'fifo'
  | 'socket'
  | 'character device'
  | 'block device'
  | 'symbolic link'
  | 'unknown';

export function kindOfStats(s: Stats): FileKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'folder';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'character device';
  if (s.isBlockDevice()) return 'block device';
  if (s.isSymbolicLink()) return 'symbolic link';
  return 'unknown';
}

/** "a named pipe (FIFO)", "a character device": how the report names a kind. */
export function describeKind(kind: FileKind): string {
  switch (kind) {
    case 'fifo':
      return 'a named pipe (FIFO)';
    case 'socket':
      return 'a socket';
    case 'character device':
      return 'a character device';
    case 'block device':
      return 'a block device';
    case 'folder':
      return 'a folder';
    case 'symbolic link':
      return 'a symbolic link';
    case 'file':
      return 'a file';
    default:
      return 'neither a file nor a folder';
  }
}

/** "2.0 GB", "1 MB", "64 KB"; exact below 10 KB, where rounding would make a size equal its limit. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${Number.isInteger(n / 1024 ** 2) ? n / 1024 ** 2 : (n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 10 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${n.toLocaleString('en-US')} bytes`;
}

/**
 * Why a file was not read. `code` follows errno names where one fits, so callers that map codes to
 * words keep working: EISDIR (a folder), ENOTREG (a FIFO, socket or device), EFBIG (over the limit),
 * ECHANGED (swapped or resized between the check and the read), ELOOP (a link where none may be).
 */
export class ReadRefusal extends Error {
  constructor(
    readonly code: 'EISDIR' | 'ENOTREG' | 'EFBIG' | 'ECHANGED' | 'ELOOP',
    readonly path: string,
    /** What the path is (for EFBIG: a file). */
    readonly kind: FileKind,
    /** Where the path's link pointed, when it was one; null otherwise. */
    readonly linkTarget: string | null,
    /** The size it had, for EFBIG. */
    readonly size: number | null,
    readonly maxBytes: number,
  ) {
    super('');
    this.name = 'ReadRefusal';
    this.message = `${path} ${this.what}`;
  }

  /**
   * "is a link to /dev/zero, a character device, not a file", "is 2.0 GB, too large to check
   * (the limit is 1 MB)": the part of a sentence after the path.
   */
  get what(): string {
    const link = this.linkTarget !== null ? `a link to ${this.linkTarget}, ` : '';
    switch (this.code) {
      case 'EISDIR':
        return link ? `is ${link}a folder, not a file` : 'is a folder where a file should be';
      case 'ENOTREG':
        return `is ${link}${describeKind(this.kind)}, not a file`;
      case 'EFBIG':
        return `is ${link ? `${link}which is ` : ''}${formatBytes(this.size ?? 0)}, too large to check (the limit is ${formatBytes(this.maxBytes)})`;
      case 'ELOOP':
        return `is a link${this.linkTarget !== null ? ` to ${this.linkTarget}` : ''} where a file that is not a link was expected`;
      default:
        return 'changed while it was being read (replaced or resized), so it was not read';
    }
  }
}

export function isReadRefusal(e: unknown): e is ReadRefusal {
  return e instanceof ReadRefusal;
}

export interface SafeFile {
  data: Buffer;
  /** The opened file's own figures (fstat), so a fingerprint describes exactly the bytes read. */
  size: number;
  mtimeMs: number;
  /** When the inode last changed (contents, owner, mode, flags); user space cannot set it back. */
  ctimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
}

export interface SafeReadOptions {
  maxBytes: number;
  /** Refuse a path whose last part is a link (ELOOP), for callers that resolved links themselves. */
  noFollow?: boolean;
  /**
   * A /proc or /sys file, whose size says nothing about its length (0 or 4096): up to `maxBytes`
   * are read whatever the size says, and a file that has more is refused as too large.
   */
  kernelFile?: boolean;
}

async function linkTargetOf(path: string | Buffer): Promise<string | null> {
  try {
    const l = await lstat(path);
    return l.isSymbolicLink() ? await readlink(path) : null;
  } catch {
    return null;
  }
}

async function refuse(
  path: string | Buffer,
  st: Stats,
  maxBytes: number,
  tooLarge: boolean,
  followed: boolean,
): Promise<ReadRefusal> {
  const kind = kindOfStats(st);
  const link = followed ? await linkTargetOf(path) : null;
  const shown = typeof path === 'string' ? path : path.toString('utf8');
  const code = tooLarge ? 'EFBIG' : kind === 'folder' ? 'EISDIR' : 'ENOTREG';
  return new ReadRefusal(code, shown, kind, link, tooLarge ? st.size : null, maxBytes);
}

/**
 * Reads a regular file of at most `maxBytes` bytes, or throws: a ReadRefusal for anything that is
 * not such a file, or the system's error (ENOENT, EACCES, ELOOP) for a path that cannot be opened.
 */
export async function safeReadFile(path: string | Buffer, opts: SafeReadOptions): Promise<SafeFile> {
  const { maxBytes } = opts;
  const shown = typeof path === 'string' ? path : path.toString('utf8');
  const before = opts.noFollow ? await lstat(path) : await stat(path);
  if (opts.noFollow && before.isSymbolicLink()) {
    const target = await readlink(path).catch(() => null);
    throw new ReadRefusal('ELOOP', shown, 'symbolic link', target, null, maxBytes);
  }
  if (!before.isFile() || (before.size > maxBytes && !opts.kernelFile)) {
    throw await refuse(path, before, maxBytes, before.isFile(), !opts.noFollow);
  }
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | (opts.noFollow ? O_NOFOLLOW : 0));
  } catch (e) {
    // O_NOFOLLOW met a link swapped in after the lstat.
    if ((e as { code?: unknown }).code === 'ELOOP' && opts.noFollow) {
      throw new ReadRefusal('ECHANGED', shown, 'symbolic link', null, null, maxBytes);
    }
    throw e;
  }
  try {
    const st = await fh.stat();
    const changed = (): ReadRefusal => new ReadRefusal('ECHANGED', shown, kindOfStats(st), null, null, maxBytes);
    if (st.dev !== before.dev || st.ino !== before.ino || !st.isFile()) throw changed();
    if (st.size > maxBytes && !opts.kernelFile) throw await refuse(path, st, maxBytes, true, false);
    // One byte more than the file claims: getting it means the file grew while being read. A read
    // of a regular file that returns less than asked has met the end of the file, so a small file
    // takes one read, not a second one to see the end.
    const buf = Buffer.allocUnsafe((opts.kernelFile ? maxBytes : st.size) + 1);
    let got = 0;
    for (;;) {
      const want = buf.length - got;
      const { bytesRead } = await fh.read(buf, got, want, got);
      got += bytesRead;
      // Kernel files may answer a page at a time: only an empty read ends them.
      if (bytesRead === 0 || (bytesRead < want && !opts.kernelFile) || got === buf.length) break;
    }
    if (opts.kernelFile && got > maxBytes) {
      throw new ReadRefusal('EFBIG', shown, 'file', null, got, maxBytes);
    }
    if (got > st.size && !opts.kernelFile) throw changed();
    return {
      data: buf.subarray(0, got),
      size: got,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      dev: st.dev,
      ino: st.ino,
    };
  } finally {
    await fh.close();
  }
}
