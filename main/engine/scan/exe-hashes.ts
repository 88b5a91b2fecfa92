/**
 * SHA-256 of the executables of suspicious and GPU-using processes, through the allowlist's hash
 * cache (keyed by path, size, mtime, ctime and inode), so a second scan re-reads only files that
 * changed. A deleted executable is hashed through /proc/PID/exe, which still opens the running image.
 */
import type { HashCache } from '../allowlist/file-hash.js';
import { isDeleted } from '../detect/provenance.js';
import { abortable, throwIfAborted } from './scan-context.js';

export interface HashTarget {
  pid: number;
  exe: string | null;
}

/** What to read for a process's executable; null when there is nothing to read. */
export function hashPath(t: HashTarget, platform: NodeJS.Platform | string, procRoot: string): string | null {
  if (!t.exe) return null;
  if (isDeleted(t.exe) || t.exe.startsWith('/memfd:')) return platform === 'linux' ? `${procRoot}/${t.pid}/exe` : null;
  return t.exe;
}

/** pid → hash (null when unreadable). Distinct files are hashed once, a few at a time. */
export async function hashExecutables(
  targets: readonly HashTarget[],
  cache: HashCache,
  opts: {
    platform: string;
    procRoot: string;
    concurrency?: number;
    signal?: AbortSignal;
    onProgress?: (f: number) => void;
  },
): Promise<Map<number, string | null>> {
  const byPath = new Map<string, number[]>();
  for (const t of targets) {
    const path = hashPath(t, opts.platform, opts.procRoot);
    if (!path) continue;
    const pids = byPath.get(path);
    if (pids) pids.push(t.pid);
    else byPath.set(path, [t.pid]);
  }
  const paths = [...byPath.keys()];
  const out = new Map<number, string | null>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      throwIfAborted(opts.signal);
      const path = paths[next++] as string;
      const hash = await abortable(cache.hashOf(path), opts.signal);
      for (const pid of byPath.get(path) ?? []) out.set(pid, hash);
      opts.onProgress?.(++done / paths.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, paths.length) }, worker));
  return out;
}
