/**
 * safe-read: the one way the scan and a removal read a file. Real files of each kind on disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatBytes,
  isReadRefusal,
  type ReadRefusal,
  type SafeReadOptions,
  safeReadFile,
} from '../main/engine/scan/safe-read.js';
import { readFailure } from '../main/engine/scan/scan-fs.js';

const linux = process.platform === 'linux';
let dir = '';
let server: Server | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iw-safe-read-'));
  writeFileSync(join(dir, 'small'), 'hello\n');
  writeFileSync(join(dir, 'exact'), Buffer.alloc(1024, 0x61));
  writeFileSync(join(dir, 'over'), Buffer.alloc(1025, 0x61));
  writeFileSync(join(dir, 'sparse'), '');
  truncateSync(join(dir, 'sparse'), 2 * 1024 ** 3);
  mkdirSync(join(dir, 'folder'));
  symlinkSync('small', join(dir, 'link-to-small'));
  symlinkSync('/dev/null', join(dir, 'link-to-null'));
  symlinkSync('folder', join(dir, 'link-to-folder'));
  if (linux) {
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(join(dir, 'socket'), resolve));
    server = s;
  }
});

afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function refusal(path: string, opts: SafeReadOptions = { maxBytes: 1024 }): Promise<ReadRefusal> {
  const e = await safeReadFile(join(dir, path), opts).then(
    () => null,
    (err: unknown) => err,
  );
  if (!isReadRefusal(e)) throw new Error(`expected a refusal for ${path}, got ${String(e)}`);
  return e;
}

describe('safeReadFile', () => {
  it('reads a small file with the mtime of the opened file', async () => {
    const f = await safeReadFile(join(dir, 'small'), { maxBytes: 1024 });
    expect(f.data.toString()).toBe('hello\n');
    expect(f.size).toBe(6);
    expect(f.mtimeMs).toBe(statSync(join(dir, 'small')).mtimeMs);
  });

  it('reads a file of exactly the limit, and refuses one byte more without reading it', async () => {
    expect((await safeReadFile(join(dir, 'exact'), { maxBytes: 1024 })).data.length).toBe(1024);
    const e = await refusal('over');
    expect(e.code).toBe('EFBIG');
    expect(e.message).toBe(`${join(dir, 'over')} is 1,025 bytes, too large to check (the limit is 1,024 bytes)`);
  });

  it('refuses a 2 GB sparse file by its size', async () => {
    const e = await refusal('sparse', { maxBytes: 1024 * 1024 });
    expect(e.what).toBe('is 2.0 GB, too large to check (the limit is 1 MB)');
  });

  it('follows a link that ends at a regular file (a dotfiles link)', async () => {
    expect((await safeReadFile(join(dir, 'link-to-small'), { maxBytes: 1024 })).data.toString()).toBe('hello\n');
  });

  it('names a link to a device, and what the device is', async () => {
    const e = await refusal('link-to-null');
    expect(e).toMatchObject({ code: 'ENOTREG', kind: 'character device', linkTarget: '/dev/null' });
    expect(e.what).toBe('is a link to /dev/null, a character device, not a file');
    expect(readFailure(e)).toBe('a link to /dev/null, a character device, not a file');
  });

  it('refuses folders, directly or through a link', async () => {
    const e = await refusal('folder');
    expect(e.code).toBe('EISDIR');
    expect(readFailure(e)).toBe('a folder where a file should be');
    expect((await refusal('link-to-folder')).what).toBe('is a link to folder, a folder, not a file');
  });

  it.skipIf(!linux)('refuses a FIFO without opening it (an open would wait for a writer)', async () => {
    const t0 = performance.now();
    const e = await refusal('fifo');
    expect(e).toMatchObject({ code: 'ENOTREG', kind: 'fifo', linkTarget: null });
    expect(e.what).toBe('is a named pipe (FIFO), not a file');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it.skipIf(!linux)('refuses a socket', async () => {
    expect((await refusal('socket')).what).toBe('is a socket, not a file');
  });

  it('with noFollow, refuses a link instead of following it', async () => {
    const e = await refusal('link-to-small', { maxBytes: 1024, noFollow: true });
    expect(e).toMatchObject({ code: 'ELOOP', linkTarget: 'small' });
  });

  it('passes the system error through for a missing file', async () => {
    await expect(safeReadFile(join(dir, 'missing'), { maxBytes: 10 })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('formats sizes for the report', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(64 * 1024)).toBe('64 KB');
    expect(formatBytes(1024 * 1024)).toBe('1 MB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GB');
  });
});
