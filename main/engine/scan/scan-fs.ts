/**
 * The file reads the scan's file-based checks make (persistence entries, miner config files),
 * behind an interface so tests can inject failures and a `--root` folder can stand in for `/`.
 */
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';

export interface ScanFileStat {
  kind: 'file' | 'dir' | 'link' | 'other';
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
}

export interface ScanFs {
  /** Reads at most `maxBytes` (a larger file throws EFBIG: config files and crontabs are small). */
  readFile(path: string, maxBytes: number): Promise<Buffer>;
  /** Entry names of a folder. */
  readdir(path: string): Promise<string[]>;
  /** Does not follow a final symlink. */
  lstat(path: string): Promise<ScanFileStat>;
  /** Follows symlinks. */
  stat(path: string): Promise<ScanFileStat>;
  readlink(path: string): Promise<string>;
}

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): ScanFileStat['kind'] {
  if (s.isSymbolicLink()) return 'link';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  return 'other';
}

export const nodeScanFs: ScanFs = {
  async readFile(path, maxBytes) {
    const s = await stat(path);
    if (s.size > maxBytes) {
      throw Object.assign(new Error(`${path} is larger than ${maxBytes} bytes`), { code: 'EFBIG' });
    }
    const buf = await readFile(path);
    return buf.length > maxBytes ? buf.subarray(0, maxBytes) : buf;
  },
  readdir: (path) => readdir(path),
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
