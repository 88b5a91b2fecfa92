import { createHash } from 'node:crypto';
import { createReadStream, type Stats, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** SHA-256 of a file, lower-case hex, read as a stream (executables can be hundreds of MB). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

interface CachedHash {
  stamp: string;
  hash: string;
}

/**
 * File hashes cached by path and file identity. Identity is size + mtime, plus ctime and inode:
 * mtime can be set back by whoever replaces a binary, ctime cannot, and a replaced file is
 * usually a new inode. Bounded: least recently used entries are dropped past `maxEntries`.
 */
export class HashCache {
  private readonly entries = new Map<string, CachedHash>();

  constructor(private readonly maxEntries = 512) {}

  /** The file's hash (computed if needed), or null when it cannot be read. */
  async hashOf(path: string): Promise<string | null> {
    let before: Stats;
    try {
      before = await stat(path);
    } catch {
      return null;
    }
    if (!before.isFile()) return null;
    const stamp = stampOf(before);
    const cached = this.get(path, stamp);
    if (cached !== null) return cached;
    let hash: string;
    try {
      hash = await sha256File(path);
      // Changed while being read: the hash may mix two versions, so it is used once, not kept.
      if (stampOf(await stat(path)) !== stamp) return hash;
    } catch {
      return null;
    }
    this.set(path, { stamp, hash });
    return hash;
  }

  /** The cached hash if the file is unchanged since it was hashed, else null (never reads the file). */
  peek(path: string): string | null {
    try {
      const s = statSync(path);
      return s.isFile() ? this.get(path, stampOf(s)) : null;
    } catch {
      return null;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private get(path: string, stamp: string): string | null {
    const e = this.entries.get(path);
    if (!e || e.stamp !== stamp) return null;
    this.entries.delete(path);
    this.entries.set(path, e);
    return e.hash;
  }

  private set(path: string, e: CachedHash): void {
    this.entries.delete(path);
    this.entries.set(path, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

function stampOf(s: Stats): string {
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.dev}`;
}
