import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientMemoryMiB, type DrmFdinfo, parseFdinfo } from '../main/engine/platform/linux/drm/fdinfo-parse.js';
import { captured } from './captured.js';

const KiB = 1 / 1024; // in MiB

type Expected = Partial<DrmFdinfo> & { memMiB: number | null };

/** What each real capture must parse to; every file in the folder must be listed here. */
const EXPECTED: Record<string, Expected> = {
  'amdgpu-oldformat-kernel5.15-amdgpu_top-issue17.txt': {
    driver: 'amdgpu',
    pdev: '0000:04:00.0',
    clientId: '32774', // the pasid: the old format has no drm-client-id
    engines: {},
    legacyPercent: { gfx0: 70.59 },
    memory: { vram: 17196 * KiB, gtt: 6144 * KiB, cpu: 0 },
    memMiB: 17196 * KiB,
  },
  'amdgpu-drm-memory-era-amdgpu_top-issue87.txt': {
    driver: 'amdgpu',
    pdev: '0000:08:00.0',
    clientId: '217',
    engines: { gfx: 107322799 },
    capacity: {},
    legacyPercent: {},
    memory: { vram: 2068 * KiB, gtt: 8192 * KiB, cpu: 0 },
    memMiB: 2068 * KiB,
  },
  'amdgpu-drm-total-era-gfx-dri-devel-20240506.txt': {
    driver: 'amdgpu',
    pdev: '0000:04:00.0',
    clientId: '30',
    engines: { gfx: 39456116802 },
    legacyPercent: {},
    // resident preferred over total and the legacy drm-memory-*; `22 MiB` stays MiB
    memory: { cpu: 0, gtt: 22, vram: 544428 * KiB },
    memMiB: 544428 * KiB,
  },
  'amdgpu-drm-total-era-compute-dri-devel-20240520.txt': {
    driver: 'amdgpu',
    pdev: '0000:04:00.0',
    clientId: '4',
    engines: { compute: 46464671 },
    memory: { cpu: 0, gtt: 2392 * KiB, vram: 44564 * KiB },
    memMiB: 44564 * KiB,
  },
  'i915-man-pages-proc_pid_fdinfo-patch-20241015.txt': {
    driver: 'i915',
    pdev: '0000:00:02.0',
    clientId: '39',
    engines: { render: 346249, copy: 0, video: 0, 'video-enhance': 0 },
    capacity: { video: 2 },
    cycles: {},
    totalCycles: {},
    memory: { system0: 6044 * KiB, 'stolen-system0': 0 },
    memMiB: 6044 * KiB, // integrated: all of its memory is system memory
  },
  'i915-memstats-cover-letter-dri-devel-20230612.txt': {
    driver: 'i915',
    pdev: '0000:00:02.0',
    clientId: '18',
    engines: { render: 25662044495, copy: 0, video: 0, 'video-enhance': 0 },
    memory: { system: 125, 'stolen-system': 0 },
    memMiB: 125,
  },
  'msm-adreno-dri-devel-20220606.txt': {
    driver: 'msm',
    pdev: null,
    clientId: '7',
    engines: { gpu: 1734371319 },
    cycles: { gpu: 1153645024 },
    totalCycles: {},
    memory: {},
    memMiB: null,
  },
  'panfrost-kernel-doc-panfrost.rst.txt': {
    driver: 'panfrost',
    pdev: null,
    clientId: '14',
    engines: { fragment: 1846584880, 'vertex-tiler': 71932239 },
    cycles: { fragment: 1424359409, 'vertex-tiler': 52617357 },
    memory: { memory: 36496 * KiB },
    memMiB: 36496 * KiB,
  },
  'panthor-kernel-doc-panthor.rst.txt': {
    driver: 'panthor',
    clientId: '10',
    engines: { panthor: 111110952750 },
    cycles: { panthor: 94439687187 },
    memory: { memory: 16480 * KiB },
    memMiB: 16480 * KiB,
  },
  'v3d-rpi-engines-jobs-dri-devel-20230905.txt': {
    driver: 'v3d',
    clientId: '44',
    engines: { bin: 1661076898, render: 31469427170, tfu: 5002964, csd: 188038329691, cache_clean: 27736024038 },
    memory: {},
    legacyPercent: {},
    memMiB: null,
  },
  'v3d-rpi-with-memstats-dri-devel-20240711.txt': {
    driver: 'v3d',
    clientId: '81',
    engines: { bin: 4916187, render: 154563573, tfu: 10574, csd: 0, cache_clean: 0, cpu: 0 },
    memory: { memory: 15168 * KiB }, // only drm-total-memory: no resident line in this capture
    memMiB: 15168 * KiB,
  },
  'xe-kernel-doc-xe_drm_client.c.txt': {
    driver: 'xe',
    pdev: '0000:03:00.0',
    clientId: '3',
    engines: {},
    cycles: { rcs: 28257900, bcs: 0, vcs: 0, vecs: 0, ccs: 0 },
    totalCycles: { rcs: 7655183225, bcs: 7655183225, vcs: 7655183225, vecs: 7655183225, ccs: 7655183225 },
    capacity: { vcs: 2, vecs: 2, ccs: 4 },
    memory: { system: 0, gtt: 192 * KiB, vram0: 23992 * KiB, stolen: 0 },
    memMiB: 23992 * KiB, // dedicated memory only
  },
};

const DIR = captured('drm-fdinfo');
const read = (name: string): string => readFileSync(captured('drm-fdinfo', name), 'utf8');

describe('parseFdinfo over the real captures', () => {
  it('has an expectation for every capture in the folder', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(name, () => {
      const info = parseFdinfo(read(name));
      expect(info).not.toBeNull();
      if (!info) return;
      const { memMiB, ...fields } = expected;
      expect(info).toMatchObject(fields);
      expect(clientMemoryMiB(info)).toBe(memMiB);
    });
  }

  it('reads tab- and space-separated text the same', () => {
    const tabs = read('amdgpu-drm-total-era-gfx-dri-devel-20240506.txt');
    expect(tabs).toContain('\t');
    const spaces = tabs.replace(/:\s+/g, ':      ');
    expect(parseFdinfo(spaces)).toEqual(parseFdinfo(tabs));
    const xeSpaces = read('xe-kernel-doc-xe_drm_client.c.txt');
    expect(parseFdinfo(xeSpaces.replace(/: +/g, ':\t'))).toEqual(parseFdinfo(xeSpaces));
  });

  it('keeps only the old format percentages as rates: modern amdgpu has no legacyPercent', () => {
    const info = parseFdinfo(read('amdgpu-drm-memory-era-amdgpu_top-issue87.txt'));
    expect(info?.legacyPercent).toEqual({});
  });
});

describe('parseFdinfo on fds that are not DRM clients', () => {
  it('returns null for a socket, an eventfd and an empty text', () => {
    expect(parseFdinfo('pos:\t0\nflags:\t02000002\nmnt_id:\t8\nino:\t41234\n')).toBeNull();
    expect(parseFdinfo('pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\neventfd-count:\t0\neventfd-id: 3\n')).toBeNull();
    expect(parseFdinfo('')).toBeNull();
  });

  it('returns null for a pdev line without the rest of the old amdgpu format', () => {
    expect(parseFdinfo('pos:\t0\npdev:\t0000:04:00.0\n')).toBeNull();
  });

  it('ignores malformed values instead of recording NaN', () => {
    const info = parseFdinfo(
      'drm-driver:\tx\ndrm-client-id:\t1\ndrm-engine-gfx:\tlots ns\ndrm-memory-vram:\t12 parsecs\n',
    );
    expect(info).toMatchObject({ driver: 'x', engines: {}, memory: {} });
  });

  it('keeps a client without an id, with clientId null', () => {
    expect(parseFdinfo('drm-driver:\tfoo\ndrm-engine-gfx:\t5 ns\n')).toMatchObject({
      clientId: null,
      engines: { gfx: 5 },
    });
  });
});
