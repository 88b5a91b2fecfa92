/**
 * The file reads the scan's file-based checks make (persistence entries, miner config files),
 * behind an interface so tests can inject failures and a `--root` folder can stand in for `/`.
 * Every file read goes through safe-read.ts: regular files only, never blocking, never more than
 * the limit.
 */
import { lstat, opendir, readlink, stat } from 'node:fs/promises';
import { isReadRefusal, safeReadFile } from './safe-read.js';

export interface ScanFileStat {
  kind: 'file' | 'dir' | 'link' | 'other';
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
}

/** A file's bytes and the modification time of exactly what was read (fstat of the opened file). */
export interface ScanFileData {
  data: Buffer;
  mtimeMs: number;
  /** The inode's change time, where the file system says (a `touch` cannot set it back). */
  ctimeMs?: number;
}

/** One name in a folder. */
export interface ScanDirName {
  /** The name as text; a name that is not valid UTF-8 shows U+FFFD for each bad byte. */
  text: string;
  /** The name's bytes, only when `text` cannot name the file (not valid UTF-8); null otherwise. */
  raw: Buffer | null;
}

export interface ScanFs {
  /**
   * A regular file of at most `maxBytes`; anything else throws (a ReadRefusal for a folder, FIFO,
   * device, socket, oversized or swapped file; the system's error for a missing or unreadable one).
   */
  readFile(path: string | Buffer, maxBytes: number): Promise<ScanFileData>;
  /** At most `limit` + 1 names of a folder (one more than the limit tells that there are more), unsorted. */
  readdir(path: string, limit?: number): Promise<ScanDirName[]>;
  /** Does not follow a final symlink. */
  lstat(path: string | Buffer): Promise<ScanFileStat>;
  /** Follows symlinks. */
  stat(path: string | Buffer): Promise<ScanFileStat>;
  readlink(path: string | Buffer): Promise<string>;
}

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): ScanFileStat['kind'] {
  if (s.isSymbolicLink()) return 'link';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  return 'other';
}

/** Folder listings stop here unless asked otherwise; see MAX_DIR_ENTRIES in scan-context.ts. */
const DEFAULT_LIMIT = 10_000;

export const nodeScanFs: ScanFs = {
  async readFile(path, maxBytes) {
    const f = await safeReadFile(path, { maxBytes });
    return { data: f.data, mtimeMs: f.mtimeMs, ctimeMs: f.ctimeMs };
  },
  async readdir(path, limit = DEFAULT_LIMIT) {
    // Streamed, and as bytes: a folder of millions of entries is not listed whole, and a name that is
    // not valid UTF-8 can still be opened (decoded to text, it would name a file that is not there).
    // The typings allow only text encodings here; Node also takes 'buffer' and then names are Buffers.
    const dir = await opendir(path, { encoding: 'buffer' as unknown as BufferEncoding, bufferSize: 256 });
    const names: ScanDirName[] = [];
    try {
      for (;;) {
        const ent = await dir.read();
        if (ent === null) break;
        const raw = ent.name as unknown as Buffer;
        const text = raw.toString('utf8');
        names.push({ text, raw: Buffer.from(text, 'utf8').equals(raw) ? null : Buffer.from(raw) });
        if (names.length > limit) break;
      }
    } finally {
      await dir.close().catch(() => {});
    }
    return names;
  },
  async lstat(path) {
    const s = await lstat(path);
    return { kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs, mode: s.mode, uid: s.uid };
  },
  async stat(path) {
    const s = await stat(path);
    return { kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs, mode: s.mode, uid: s.uid };
  },
  readlink: (path) => readlink(path),
};

/** The errno code of a failed call (`ENOENT`, `ENOTDIR`), if any. */
export function errCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Short reason for a failed read, for the report: "not a folder", "permission denied". */
export function readFailure(e: unknown): string {
  if (isReadRefusal(e)) {
    return e.code === 'EISDIR' && e.linkTarget === null
      ? 'a folder where a file should be'
      : e.what.replace(/^is /, '');
  }
  switch (errCode(e)) {
    case 'ENOTDIR':
      return 'not a folder (a file is where a folder should be)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EFBIG':
      return 'too large to be what it claims to be';
    case 'EISDIR':
      return 'a folder where a file should be';
    case 'ENOENT':
      return 'does not exist (a dangling link?)';
    default:
      return (e as Error)?.message ?? String(e);
  }
}
