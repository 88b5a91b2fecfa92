import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrmCollector } from '../main/engine/platform/linux/drm/drm-collector.js';
import type { GpuReading } from '../main/engine/platform/gpu.js';
import { bump, countingFs, FakeDrmTree, setKey } from './drm-fake-tree.js';
import { captured } from './captured.js';

const MS = 1_000_000; // ns per ms
const GiB = 1024 ** 3;

const fixture = (name: string): string => readFileSync(captured('drm-fdinfo', name), 'utf8');

function proc(reading: GpuReading, pid: number) {
  return reading.procs.filter((p) => p.pid === pid);
}

describe('DrmCollector on a fake /proc and /sys built from real captures', () => {
  let tree: FakeDrmTree;
  let amd: string;
  let amdOld: string;
  let amdOther: string;
  let i915: string;
  let xe: string;

  beforeEach(() => {
    tree = new FakeDrmTree();
    amd = fixture('amdgpu-drm-total-era-gfx-dri-devel-20240506.txt'); // client 30 on 0000:04:00.0
    amdOld = fixture('amdgpu-oldformat-kernel5.15-amdgpu_top-issue17.txt'); // pasid 32774 on 0000:04:00.0
    amdOther = fixture('amdgpu-drm-memory-era-amdgpu_top-issue87.txt'); // client 217 on 0000:08:00.0
    i915 = fixture('i915-man-pages-proc_pid_fdinfo-patch-20241015.txt'); // client 39 on 0000:00:02.0
    xe = fixture('xe-kernel-doc-xe_drm_client.c.txt'); // client 3 on 0000:03:00.0

    // pid 100: a game with the amdgpu client open twice (dup'ed fd) next to a socket and /dev/null
    tree.addFd(100, 0, 'socket:[4711]');
    tree.addFd(100, 1, '/dev/null'); // a real char device, major 1: settled by the stat check
    tree.addDrmFd(100, 5, amd);
    tree.addDrmFd(100, 6, amd);
    tree.addDrmFd(200, 7, i915);
    // pid 300 forked 301, which inherited the xe fd: one client, two holders
    tree.addDrmFd(300, 4, xe);
    tree.addDrmFd(301, 4, xe);
    tree.addDrmFd(400, 3, amdOther); // exits between the ticks
    tree.addDrmFd(500, 9, amdOld);
    tree.addFd(600, 0, 'pipe:[1]'); // no GPU

    tree.addCard('card0', {
      uevent: 'DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:73FF\nPCI_SLOT_NAME=0000:04:00.0\n',
      vendor: '0x1002\n',
      product_name: 'AMD Radeon RX 6600\n',
      gpu_busy_percent: '37\n',
      mem_info_vram_total: `${8 * GiB}\n`,
      mem_info_vram_used: `${GiB}\n`,
      'power/runtime_status': 'active\n',
    });
    tree.addDrmEntry('card0-DP-1');
    tree.addDrmEntry('renderD128');
    tree.addCard('card1', { uevent: 'DRIVER=i915\nPCI_SLOT_NAME=0000:00:02.0\n', vendor: '0x8086\n' });
    tree.addCard('card2', { uevent: 'DRIVER=xe\nPCI_SLOT_NAME=0000:03:00.0\n', vendor: '0x8086\n' });
    tree.addCard('card3', { uevent: 'DRIVER=nvidia\nPCI_SLOT_NAME=0000:01:00.0\n', vendor: '0x10de\n' });
  });

  afterEach(() => tree.cleanup());

  it('gives per-process and per-device figures from two readings', async () => {
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    expect(await c.available()).toMatchObject({ ok: true });
    await c.start();

    const first = await c.sample(1000);
    // no interval yet, except the old amdgpu format whose percentages are already rates
    expect(proc(first, 100)).toEqual([{ pid: 100, gpuId: 'drm:0000:04:00.0', util: null, memMiB: 544428 / 1024 }]);
    expect(proc(first, 500)).toEqual([{ pid: 500, gpuId: 'drm:0000:04:00.0', util: 70.59, memMiB: 17196 / 1024 }]);
    expect(proc(first, 400)).toHaveLength(1);

    // one second later, counters advanced by known amounts
    const amd2 = bump(amd, 'drm-engine-gfx', 500 * MS); // 50%
    tree.setFdinfo(100, 5, amd2);
    tree.setFdinfo(100, 6, amd2);
    // render 25%; video 1.2 s busy on a class of 2 engines = 60% (120% without the capacity)
    tree.setFdinfo(200, 7, bump(bump(i915, 'drm-engine-render', 250 * MS), 'drm-engine-video', 1200 * MS));
    let xe2 = bump(xe, 'drm-cycles-rcs', 1_000_000); // 1M of 4M cycles = 25%
    xe2 = bump(xe2, 'drm-cycles-ccs', 8_000_000); // 8M over 4M cycles x 4 engines = 50%
    for (const cls of ['rcs', 'bcs', 'vcs', 'vecs', 'ccs']) xe2 = bump(xe2, `drm-total-cycles-${cls}`, 4_000_000);
    tree.setFdinfo(300, 4, xe2);
    tree.setFdinfo(301, 4, xe2);
    tree.removePid(400);
    tree.setFdinfo(500, 9, setKey(amdOld, 'gfx0', '12.50%'));

    const second = await c.sample(2000);
    expect(proc(second, 100)).toEqual([{ pid: 100, gpuId: 'drm:0000:04:00.0', util: 50, memMiB: 544428 / 1024 }]);
    expect(proc(second, 200)).toEqual([{ pid: 200, gpuId: 'drm:0000:00:02.0', util: 60, memMiB: 6044 / 1024 }]);
    expect(proc(second, 300)).toEqual([{ pid: 300, gpuId: 'drm:0000:03:00.0', util: 50, memMiB: 23992 / 1024 }]);
    expect(proc(second, 301)).toEqual([]); // the shared client counts once, for the parent
    expect(proc(second, 400)).toEqual([]);
    expect(proc(second, 500)).toEqual([{ pid: 500, gpuId: 'drm:0000:04:00.0', util: 12.5, memMiB: 17196 / 1024 }]);
    expect(proc(second, 600)).toEqual([]);

    expect(second.devices).toEqual([
      {
        id: 'drm:0000:04:00.0',
        vendor: 'amd',
        name: 'AMD Radeon RX 6600',
        memoryMiB: 8192,
        util: 37,
        memUsedMiB: 1024,
      },
      {
        id: 'drm:0000:00:02.0',
        vendor: 'intel',
        name: 'Intel GPU 0000:00:02.0',
        memoryMiB: null,
        util: null,
        memUsedMiB: null,
      },
      {
        id: 'drm:0000:03:00.0',
        vendor: 'intel',
        name: 'Intel GPU 0000:03:00.0',
        memoryMiB: null,
        util: null,
        memUsedMiB: null,
      },
    ]);
    // pid 400's device was known only from its fdinfo; it was listed while the pid was alive
    expect(first.devices.map((d) => d.id)).toContain('drm:0000:08:00.0');
    expect(first.devices.find((d) => d.id === 'drm:0000:08:00.0')).toMatchObject({
      vendor: 'amd',
      name: 'AMD GPU 0000:08:00.0',
    });

    expect(c.status()).toMatchObject({ id: 'gpu.drm', health: 'ok' });
    expect(c.status().detail).toContain('4 DRM clients in 4 processes');
    await c.stop();
  });

  it('survives a process that vanishes while it is being read', async () => {
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    await c.sample(0);
    tree.removeFdTables(100); // still listed in /proc, fd tables gone
    const r = await c.sample(1000);
    expect(proc(r, 100)).toEqual([]);
    expect(proc(r, 200)).toHaveLength(1);
    expect(c.status().health).toBe('ok');
  });

  it('skips the interval when a client id is reused with lower counters, then resumes', async () => {
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    await c.sample(0);
    const low = setKey(amd, 'drm-engine-gfx', '1000 ns');
    tree.setFdinfo(100, 5, low);
    tree.setFdinfo(100, 6, low);
    expect(proc(await c.sample(1000), 100)[0]?.util).toBeNull();
    const next = bump(low, 'drm-engine-gfx', 250 * MS);
    tree.setFdinfo(100, 5, next);
    tree.setFdinfo(100, 6, next);
    expect(proc(await c.sample(2000), 100)[0]?.util).toBe(25);
  });

  it('does not wake a runtime-suspended GPU: util 0 without reading gpu_busy_percent', async () => {
    tree.addCard('card0', { 'power/runtime_status': 'suspended\n' });
    const counting = countingFs();
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys, fs: counting.fs });
    const r = await c.sample(0);
    expect(r.devices.find((d) => d.id === 'drm:0000:04:00.0')).toMatchObject({ util: 0, memUsedMiB: null });
    expect(counting.calls.readFile.filter((p) => p.endsWith('gpu_busy_percent'))).toEqual([]);
  });

  it('counts processes it may not read and says so in status()', async () => {
    const counting = countingFs();
    counting.denied.add(`${tree.proc}/200/fd`);
    counting.denied.add(`${tree.proc}/600/fd`);
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys, fs: counting.fs });
    const r = await c.sample(0);
    expect(proc(r, 200)).toEqual([]);
    expect(c.status()).toMatchObject({ health: 'ok' });
    expect(c.status().detail).toContain("2 processes' GPU use could not be read (permission denied)");
  });

  it('leaves NVIDIA clients to the NVIDIA collector', async () => {
    tree.addDrmFd(700, 3, setKey(setKey(amd, 'drm-driver', 'nvidia-drm'), 'drm-client-id', '900'));
    tree.addDrmFd(701, 3, setKey(setKey(amd, 'drm-pdev', '0000:01:00.0'), 'drm-client-id', '901'));
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    const r = await c.sample(0);
    expect(proc(r, 700)).toEqual([]);
    expect(proc(r, 701)).toEqual([]);
    expect(r.devices.map((d) => d.id)).not.toContain('drm:0000:01:00.0');
  });
});

describe('DrmCollector.available', () => {
  let tree: FakeDrmTree;
  beforeEach(() => {
    tree = new FakeDrmTree();
  });
  afterEach(() => tree.cleanup());

  const DRM_TEXT = 'drm-driver:\ti915\ndrm-client-id:\t5\ndrm-pdev:\t0000:00:02.0\ndrm-engine-render:\t0 ns\n';

  it('is Linux-only', async () => {
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys, platform: 'darwin' });
    expect(await c.available()).toEqual({ ok: false, reason: 'DRM fdinfo is Linux-only' });
    expect(await c.sample(0)).toEqual({ devices: [], procs: [] });
    expect(c.status().health).toBe('unavailable');
  });

  it('says no GPU when sysfs has only NVIDIA and firmware framebuffer cards and no process holds a DRM fd', async () => {
    tree.addCard('card0', { uevent: 'DRIVER=nvidia\nPCI_SLOT_NAME=0000:01:00.0\n', vendor: '0x10de\n' });
    tree.addCard('card1', { uevent: 'DRIVER=simple-framebuffer\n' });
    tree.addFd(42, 0, 'socket:[1]');
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    const reason = 'no AMD/Intel DRM GPU found (/sys/class/drm has no such card)';
    expect(await c.available()).toEqual({ ok: false, reason });
    expect(c.status()).toMatchObject({ health: 'unavailable', detail: reason });
  });

  it('is ok with an AMD or Intel card, naming it', async () => {
    tree.addCard('card1', { uevent: 'DRIVER=i915\nPCI_SLOT_NAME=0000:00:02.0\n', vendor: '0x8086\n' });
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    expect(await c.available()).toEqual({ ok: true, detail: 'Intel GPU 0000:00:02.0 (i915)' });
  });

  it('is ok when /sys shows nothing but a process holds a DRM fd', async () => {
    tree.addDrmFd(42, 3, DRM_TEXT);
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    expect(await c.available()).toMatchObject({ ok: true });
  });

  it('maps a platform GPU client (no drm-pdev) to the only card of its driver', async () => {
    tree.addCard('card0', { uevent: 'DRIVER=v3d\nOF_NAME=gpu\n' });
    tree.addDrmFd(42, 3, 'drm-driver:\tv3d\ndrm-client-id:\t44\ndrm-engine-render:\t0 ns\n');
    const c = new DrmCollector({ procRoot: tree.proc, sysRoot: tree.sys });
    const r = await c.sample(0);
    expect(r.devices).toEqual([
      { id: 'drm:card0', vendor: 'other', name: 'v3d GPU', memoryMiB: null, util: null, memUsedMiB: null },
    ]);
    expect(r.procs).toEqual([{ pid: 42, gpuId: 'drm:card0', util: null, memMiB: null }]);
  });
});
