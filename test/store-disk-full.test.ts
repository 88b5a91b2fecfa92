import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AtomicWriteFs, realAtomicFs } from '../main/engine/store/atomic-write.js';
import { IncidentLog } from '../main/engine/store/incident-log.js';
import { loadSettings, SETTINGS_FILE, saveSettings } from '../main/engine/store/settings-file.js';
import { StoreWriteError } from '../main/engine/store/store-errors.js';
import { DEFAULT_SETTINGS, type Settings } from '../shared/settings.js';
import { incident, tempDir, tempLeftovers } from './helpers/store-fixtures.js';

const first: Settings = { ...DEFAULT_SETTINGS, idleThresholdSec: 120 };
const second: Settings = { ...DEFAULT_SETTINGS, idleThresholdSec: 900, sensitivity: 'high' };

/** A real 64 KiB filesystem (tmpfs) where root may mount one: a real full disk, and a real read-only one. */
function tryMountTmpfs(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'iw-tiny-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  if (r.status === 0) return dir;
  rmdirSync(dir);
  return null;
}

/** Fills the filesystem: writes until ENOSPC. */
function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 0x61);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

const tiny = tryMountTmpfs();

describe.skipIf(tiny === null)('a really full disk, and a really read-only one (64 KiB tmpfs)', () => {
  const dir = tiny ?? '';
  afterAll(() => {
    execFileSync('umount', [dir]);
    rmdirSync(dir);
  });
  afterEach(() => {
    spawnSync('mount', ['-o', 'remount,rw', dir]);
    execFileSync('find', [dir, '-mindepth', '1', '-delete']);
  });

  it('a settings save on a full disk fails with ENOSPC and leaves the previous file intact', async () => {
    await saveSettings(dir, first);
    const before = readFileSync(join(dir, SETTINGS_FILE), 'utf8');
    fillDisk(dir);

    const err = await saveSettings(dir, second).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as StoreWriteError).code).toBe('ENOSPC');
    expect((err as Error).message).toBe(
      'could not save settings.json: the disk is full (ENOSPC); the previous version is unchanged',
    );
    expect(readFileSync(join(dir, SETTINGS_FILE), 'utf8')).toBe(before);
    expect(tempLeftovers(dir)).toEqual([]);
    expect((await loadSettings(dir)).value).toEqual(first);
  });

  it('an incident append that fills the disk mid-line is cut back: no broken line, earlier records intact', async () => {
    const log = new IncidentLog(dir);
    await log.append(incident({ pid: 1 }), 1000);
    const before = readFileSync(log.path, 'utf8');
    fillDisk(dir);
    // Bigger than what is left of the file's last page, so part of it is written before ENOSPC.
    const big = incident({ pid: 2, cmdline: `xmrig ${'x'.repeat(16 * 1024)}` });

    const err = await log.append(big, 2000).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as Error).message).toBe(
      'could not save incidents.jsonl: the disk is full (ENOSPC); the history is unchanged',
    );
    expect(readFileSync(log.path, 'utf8')).toBe(before);
    const history = await log.read();
    expect(history.problems).toEqual([]);
    expect(history.records.map((r) => r.incident.pid)).toEqual([1]);
  });

  it('a save on a read-only disk fails with EROFS and the file is unchanged', async () => {
    await saveSettings(dir, first);
    execFileSync('mount', ['-o', 'remount,ro', dir]);

    const err = await saveSettings(dir, second).catch((e: unknown) => e);

    expect((err as StoreWriteError).code).toBe('EROFS');
    expect((err as Error).message).toBe(
      'could not save settings.json: the disk is read-only (EROFS); the previous version is unchanged',
    );
    expect((await loadSettings(dir)).value).toEqual(first);
  });
});

describe('failing writes, simulated (every platform)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-atomic-'));
  });
  afterEach(() => cleanup());

  it('a quota error while writing the temp file: clear error, old file kept, temp file removed', async () => {
    await saveSettings(dir, first);
    const fs: AtomicWriteFs = {
      ...realAtomicFs,
      async writeNew(path, data) {
        // Half the data reaches the disk, then the quota runs out.
        await realAtomicFs.writeNew(path, data.slice(0, data.length / 2));
        throw Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
      },
    };
    await expect(saveSettings(dir, second, fs)).rejects.toThrow(
      'could not save settings.json: your disk quota is used up (EDQUOT); the previous version is unchanged',
    );
    expect((await loadSettings(dir)).value).toEqual(first);
    expect(tempLeftovers(dir)).toEqual([]);
  });

  it('a failed rename leaves the old file and removes the temp file', async () => {
    await saveSettings(dir, first);
    const fs: AtomicWriteFs = {
      ...realAtomicFs,
      rename: async () => {
        throw Object.assign(new Error('EROFS: read-only file system, rename'), { code: 'EROFS' });
      },
    };
    const err = await saveSettings(dir, second, fs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as StoreWriteError).file).toBe(join(dir, SETTINGS_FILE));
    expect((await loadSettings(dir)).value).toEqual(first);
    expect(tempLeftovers(dir)).toEqual([]);
  });

  it('a folder that cannot be flushed does not fail a save that already happened', async () => {
    const fs: AtomicWriteFs = {
      ...realAtomicFs,
      syncDir: async () => {
        throw Object.assign(new Error('EPERM: operation not permitted, fsync'), { code: 'EPERM' });
      },
    };
    await saveSettings(dir, second, fs);
    expect((await loadSettings(dir)).value).toEqual(second);
  });
});
