import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Allowlist } from '../main/engine/allowlist/allowlist.js';
import { HashCache, sha256File } from '../main/engine/allowlist/file-hash.js';
import { tempDir } from './helpers/store-fixtures.js';

const sha = (buf: Buffer | string) => createHash('sha256').update(buf).digest('hex');

describe('SHA-256 pins', () => {
  let dir: string;
  let cleanup: () => void;
  let tool: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-allow-hash-'));
    tool = join(dir, 'encoder');
    copyFileSync(process.execPath, tool); // large enough that hashing has to stream
  });
  afterEach(() => cleanup());

  it('sha256File streams the file and agrees with a one-shot hash', async () => {
    expect(await sha256File(tool)).toBe(sha(readFileSync(tool)));
  });

  it('a pinned entry stops covering the path when the binary is replaced, and says so', async () => {
    const list = await Allowlist.load(dir);
    const entry = await list.add({ exe: tool, pinHash: true });
    expect(entry.sha256).toBe(sha(readFileSync(tool)));
    expect(await list.matches({ exe: tool, cmdline: 'encoder' })).toEqual(entry);

    writeFileSync(tool, '#!/bin/sh\nexec xmrig\n');
    const v = await list.check({ exe: tool, cmdline: 'encoder' });
    expect(v.covered).toBe(false);
    if (!v.covered) {
      expect(v.why).toBe(
        `${tool} no longer has the SHA-256 pinned in its allowlist entry (pinned ${entry.sha256?.slice(0, 12)}…, now ${sha('#!/bin/sh\nexec xmrig\n').slice(0, 12)}…): the file was replaced or updated, so it is not covered; add it again if the change is expected`,
      );
    }
    expect(await list.matches({ exe: tool, cmdline: 'encoder' })).toBeNull();
  });

  it('a same-size replacement with its old mtime put back is still noticed (the cache keys on ctime and inode too)', async () => {
    const small = join(dir, 'small-tool');
    writeFileSync(small, 'A'.repeat(4096));
    const list = await Allowlist.load(dir);
    await list.add({ exe: small, pinHash: true });
    const { atime, mtime } = statSync(small);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(small, 'B'.repeat(4096));
    utimesSync(small, atime, mtime);
    expect(await list.matches({ exe: small, cmdline: '' })).toBeNull();
  });

  it('matchesSync uses only hashes already computed', async () => {
    const list = await Allowlist.load(dir, { hashCache: new HashCache() });
    const entry = await list.add({ exe: tool, sha256: sha(readFileSync(tool)).toUpperCase() });
    expect(entry.sha256).toBe(sha(readFileSync(tool)));
    expect(list.checkSync({ exe: tool, cmdline: '' })).toEqual({
      covered: false,
      why: `the entry for ${tool} pins its SHA-256, and ${tool} has not been hashed yet`,
    });
    expect(await list.matches({ exe: tool, cmdline: '' })).toEqual(entry);
    expect(list.matchesSync({ exe: tool, cmdline: '' })).toEqual(entry);
    // A caller with its own hashes (e.g. of /proc/PID/exe) passes them in.
    expect(list.matchesSync({ exe: tool, cmdline: '' }, () => sha('other'))).toBeNull();
  });

  it('pinning a file that cannot be read is refused; a bad hash is refused', async () => {
    const list = await Allowlist.load(dir);
    await expect(list.add({ exe: join(dir, 'missing'), pinHash: true })).rejects.toThrow(
      /cannot be read, so its SHA-256 cannot be pinned/,
    );
    await expect(list.add({ exe: tool, sha256: 'abc' })).rejects.toThrow(
      'sha256 must be 64 hexadecimal digits, got "abc"',
    );
  });

  it('the hash cache is bounded and reuses hashes of unchanged files', async () => {
    const cache = new HashCache(2);
    const files = ['a', 'b', 'c'].map((n) => {
      const p = join(dir, n);
      writeFileSync(p, n);
      return p;
    });
    for (const f of files) expect(await cache.hashOf(f)).toBe(sha(readFileSync(f)));
    expect(cache.size).toBe(2);
    expect(cache.peek(files[0] ?? '')).toBeNull();
    expect(cache.peek(files[2] ?? '')).toBe(sha('c'));
    expect(await cache.hashOf(join(dir, 'nope'))).toBeNull();
    expect(await cache.hashOf(dir)).toBeNull();
  });
});
