import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrmCollector } from '../main/engine/platform/linux/drm/drm-collector.js';
import { DrmFdScanner, isDrmFdLink } from '../main/engine/platform/linux/drm/drm-fd-scan.js';
import { type DrmFs, deviceMajor, nodeDrmFs } from '../main/engine/platform/linux/drm/drm-fs.js';
import { countingFs, FakeDrmTree } from './drm-fake-tree.js';

/** A minimal DRM client (synthetic, so this file runs without the shared captures). */
const client = (id: number, gfxNs: number): string =>
  `pos:\t0\nflags:\t02100002\ndrm-driver:\tamdgpu\ndrm-client-id:\t${id}\ndrm-pdev:\t0000:04:00.0\ndrm-engine-gfx:\t${gfxNs} ns\n`;

describe('isDrmFdLink', () => {
  const fakeFs = (target: string, rdev: number | null): DrmFs & { stats: number } => {
    const fs = {
      ...nodeDrmFs,
      stats: 0,
      readlink: () => target,
      charDeviceRdev: () => {
        fs.stats += 1;
        return rdev;
      },
    };
    return fs;
  };

  it('accepts /dev/dri/ targets by their text, without a stat', () => {
    const fs = fakeFs('/dev/dri/renderD128', null);
    expect(isDrmFdLink(fs, '/proc/1/fd/3')).toBe(true);
    expect(fs.stats).toBe(0);
  });

  it('settles other /dev targets by the device major (226 = DRM)', () => {
    expect(isDrmFdLink(fakeFs('/dev/gpu-in-container', (226 << 8) | 128), '/proc/1/fd/3')).toBe(true);
    expect(isDrmFdLink(fakeFs('/dev/tty1', (4 << 8) | 1), '/proc/1/fd/3')).toBe(false);
    expect(isDrmFdLink(fakeFs('/dev/shm/x', null), '/proc/1/fd/3')).toBe(false);
  });

  it('rejects sockets, pipes and files without a stat', () => {
    for (const target of ['socket:[4711]', 'pipe:[12]', 'anon_inode:[eventfd]', '/home/u/.cache/x']) {
      const fs = fakeFs(target, (226 << 8) | 0);
      expect(isDrmFdLink(fs, '/proc/1/fd/3')).toBe(false);
      expect(fs.stats).toBe(0);
    }
  });

  it('decodes majors like glibc, including large ones', () => {
    expect(deviceMajor((226 << 8) | 128)).toBe(226);
    expect(deviceMajor(0x1_0000_0000 * 0x1000 + (226 << 8) + 5)).toBe(0x1000 | 226);
  });
});

describe('DrmFdScanner cadence', () => {
  let tree: FakeDrmTree;
  beforeEach(() => {
    tree = new FakeDrmTree();
    tree.addDrmFd(10, 3, client(1, 0));
    tree.addFd(10, 0, 'socket:[1]');
    tree.addFd(20, 0, 'socket:[2]');
    tree.addFd(20, 1, 'pipe:[3]');
  });
  afterEach(() => tree.cleanup());

  it('re-reads known DRM fds every tick and walks other processes only every fullScanEveryMs', () => {
    const { fs, calls } = countingFs();
    const scanner = new DrmFdScanner(fs, tree.proc, 10_000);
    const fdinfo10 = `${tree.proc}/10/fdinfo/3`;
    const walks = (pid: number) => calls.readdir.filter((p) => p === `${tree.proc}/${pid}/fd`).length;
    const reads = (path: string) => calls.readFile.filter((p) => p === path).length;

    const t0 = scanner.tick(0);
    expect(t0.fullScan).toBe(true);
    expect(t0.reads.map((r) => [r.pid, r.fd])).toEqual([[10, '3']]);
    expect(walks(10)).toBe(1);
    expect(walks(20)).toBe(1);
    expect(reads(fdinfo10)).toBe(1);
    const linksAfterScan = calls.readlink.length;

    // pid 20 opens the GPU after the walk: not seen until the next one
    tree.addDrmFd(20, 5, client(2, 0));
    for (const t of [1000, 2000, 9999]) {
      const tick = scanner.tick(t);
      expect(tick.fullScan).toBe(false);
      expect(tick.reads.map((r) => r.pid)).toEqual([10]);
    }
    expect(reads(fdinfo10)).toBe(4); // every tick
    expect(walks(10)).toBe(1);
    expect(walks(20)).toBe(1);
    expect(calls.readlink.length).toBe(linksAfterScan); // no fd table walked between scans
    expect(reads(`${tree.proc}/20/fdinfo/5`)).toBe(0);

    // a process that appears between walks is walked on its first tick
    tree.addDrmFd(30, 4, client(3, 0));
    expect(scanner.tick(9999.5).reads.map((r) => r.pid)).toEqual([10, 30]);
    expect(walks(30)).toBe(1);
    expect(walks(20)).toBe(1);

    const full = scanner.tick(10_000);
    expect(full.fullScan).toBe(true);
    expect(full.reads.map((r) => r.pid).sort()).toEqual([10, 20, 30]);
    expect(walks(20)).toBe(2);
  });

  it('drops closed fds and exited pids, keeping its maps bounded by /proc', () => {
    const { fs, calls } = countingFs();
    const scanner = new DrmFdScanner(fs, tree.proc, 60_000);
    tree.addDrmFd(40, 6, client(4, 0));
    expect(scanner.tick(0).reads.map((r) => r.pid)).toEqual([10, 40]);
    expect(scanner.drmPidCount).toBe(2);

    tree.removePid(40);
    expect(scanner.tick(1000).reads.map((r) => r.pid)).toEqual([10]);
    expect(scanner.drmPidCount).toBe(1);

    // fd 3 closed and its number reused for a socket: its fdinfo is no longer a DRM client
    tree.setFdinfo(10, 3, 'pos:\t0\nflags:\t02\nmnt_id:\t8\nino:\t9\n');
    expect(scanner.tick(2000).reads).toEqual([]);
    expect(scanner.drmPidCount).toBe(0);
    const readsBefore = calls.readFile.length;
    scanner.tick(3000);
    expect(calls.readFile.length).toBe(readsBefore); // nothing left to read until the next walk
  });

  it('runs the walk again when the clock jumps backwards', () => {
    const scanner = new DrmFdScanner(nodeDrmFs, tree.proc, 10_000);
    expect(scanner.tick(50_000).fullScan).toBe(true);
    expect(scanner.tick(1000).fullScan).toBe(true);
    expect(scanner.tick(2000).fullScan).toBe(false);
  });
});

describe('DrmCollector slow cadence', () => {
  let tree: FakeDrmTree;
  beforeEach(() => {
    tree = new FakeDrmTree();
    tree.addDrmFd(10, 3, client(1, 0));
    tree.addFd(20, 0, 'socket:[2]');
  });
  afterEach(() => tree.cleanup());

  it('finds a process that opens the GPU later after fullScanEveryMs, with rates from then on', async () => {
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys, fullScanEveryMs: 5000 });
    await c.sample(0);
    tree.addDrmFd(20, 7, client(2, 0));
    tree.setFdinfo(10, 3, client(1, 100_000_000));
    const early = await c.sample(1000);
    expect(early.procs.map((p) => [p.pid, p.util])).toEqual([[10, 10]]);

    tree.setFdinfo(20, 7, client(2, 0));
    const found = await c.sample(5000);
    expect(found.procs.map((p) => [p.pid, p.util])).toEqual([
      [10, 0],
      [20, null],
    ]);
    tree.setFdinfo(20, 7, client(2, 750_000_000));
    const rated = await c.sample(6000);
    expect(rated.procs.find((p) => p.pid === 20)?.util).toBe(75);
  });
});
