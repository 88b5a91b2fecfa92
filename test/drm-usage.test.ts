import { describe, expect, it } from 'vitest';
import { assignOwners, busiestEngine, clientRate, sumByProcess } from '../main/engine/platform/linux/drm/drm-usage.js';
import type { DrmFdinfo } from '../main/engine/platform/linux/drm/fdinfo-parse.js';

function info(over: Partial<DrmFdinfo>): DrmFdinfo {
  return {
    driver: 'amdgpu',
    pdev: '0000:03:00.0',
    clientId: '1',
    engines: {},
    capacity: {},
    cycles: {},
    totalCycles: {},
    memory: {},
    legacyPercent: {},
    ...over,
  };
}

const MS = 1_000_000; // ns per ms

describe('clientRate', () => {
  it('turns busy nanoseconds over the interval into percent per engine', () => {
    const r = clientRate(
      { atMs: 1000, info: info({ engines: { gfx: 7 * MS, compute: 0 } }) },
      { atMs: 2000, info: info({ engines: { gfx: 507 * MS, compute: 100 * MS } }) },
    );
    expect(r).toEqual({ kind: 'ok', engines: { gfx: 50, compute: 10 } });
  });

  it('divides by the engine capacity', () => {
    const r = clientRate(
      { atMs: 0, info: info({ engines: { video: 0 }, capacity: { video: 2 } }) },
      { atMs: 1000, info: info({ engines: { video: 1000 * MS }, capacity: { video: 2 } }) },
    );
    expect(r).toEqual({ kind: 'ok', engines: { video: 50 } });
  });

  it('uses the cycle ratio when the driver gives total cycles (xe), divided by capacity', () => {
    const r = clientRate(
      {
        atMs: 0,
        info: info({ cycles: { rcs: 100, ccs: 0 }, totalCycles: { rcs: 1000, ccs: 1000 }, capacity: { ccs: 4 } }),
      },
      // the wall clock says 5 s, the GT clock 1000 cycles: the cycle ratio wins
      {
        atMs: 5000,
        info: info({ cycles: { rcs: 350, ccs: 2000 }, totalCycles: { rcs: 2000, ccs: 2000 }, capacity: { ccs: 4 } }),
      },
    );
    expect(r).toEqual({ kind: 'ok', engines: { rcs: 25, ccs: 50 } });
  });

  it('falls back to nanoseconds when cycles have no total (panfrost, msm)', () => {
    const r = clientRate(
      { atMs: 0, info: info({ engines: { fragment: 0 }, cycles: { fragment: 0 } }) },
      { atMs: 2000, info: info({ engines: { fragment: 500 * MS }, cycles: { fragment: 999_999 } }) },
    );
    expect(r).toEqual({ kind: 'ok', engines: { fragment: 25 } });
  });

  it('clamps to 0..100', () => {
    const r = clientRate(
      { atMs: 0, info: info({ engines: { gfx: 0 } }) },
      { atMs: 1000, info: info({ engines: { gfx: 1300 * MS } }) },
    );
    expect(r).toEqual({ kind: 'ok', engines: { gfx: 100 } });
  });

  it('skips an interval whose counters went backwards (client id reused, GPU reset)', () => {
    const prev = { atMs: 0, info: info({ engines: { gfx: 900 * MS } }) };
    expect(clientRate(prev, { atMs: 1000, info: info({ engines: { gfx: 10 * MS } }) })).toEqual({ kind: 'reset' });
    const xePrev = { atMs: 0, info: info({ cycles: { rcs: 10 }, totalCycles: { rcs: 1000 } }) };
    expect(clientRate(xePrev, { atMs: 1000, info: info({ cycles: { rcs: 20 }, totalCycles: { rcs: 5 } }) })).toEqual({
      kind: 'reset',
    });
  });

  it('needs a previous reading and a clock that moved', () => {
    const cur = { atMs: 1000, info: info({ engines: { gfx: 1 } }) };
    expect(clientRate(undefined, cur)).toEqual({ kind: 'first' });
    expect(clientRate(cur, cur)).toEqual({ kind: 'no-interval' });
  });

  it('reads the old amdgpu percentages directly, even on the first reading', () => {
    expect(clientRate(undefined, { atMs: 0, info: info({ legacyPercent: { gfx0: 70.59, dma0: 120 } }) })).toEqual({
      kind: 'ok',
      engines: { gfx0: 70.59, dma0: 100 },
    });
  });

  it('skips a cycles engine whose GT clock did not advance', () => {
    const a = { atMs: 0, info: info({ cycles: { rcs: 5 }, totalCycles: { rcs: 100 } }) };
    expect(clientRate(a, { atMs: 1000, info: a.info })).toEqual({ kind: 'ok', engines: {} });
  });
});

describe('busiestEngine', () => {
  it('is the max, or null without engines', () => {
    expect(busiestEngine({ gfx: 10, compute: 55 })).toBe(55);
    expect(busiestEngine({})).toBeNull();
  });
});

describe('assignOwners', () => {
  it('keeps last tick owner while it still holds the client, else the lowest pid', () => {
    const holders = new Map<string, number[]>([
      ['a', [300, 301]],
      ['b', [20, 10]],
      ['c', [7, 8]],
    ]);
    const owners = assignOwners(
      holders,
      new Map([
        ['c', 8],
        ['gone', 1],
      ]),
    );
    expect(owners).toEqual(
      new Map([
        ['a', 300],
        ['b', 10],
        ['c', 8],
      ]),
    );
    // the previous owner exited: the lowest remaining holder takes over
    expect(assignOwners(new Map([['c', [9, 7]]]), new Map([['c', 8]]))).toEqual(new Map([['c', 7]]));
  });
});

describe('sumByProcess', () => {
  it('sums clients per engine class before taking the busiest, per process and device', () => {
    const rows = sumByProcess([
      { pid: 1, deviceId: 'drm:a', engines: { gfx: 30 }, memMiB: 100 },
      { pid: 1, deviceId: 'drm:a', engines: { compute: 40 }, memMiB: 50 },
      { pid: 1, deviceId: 'drm:a', engines: { gfx: 30 }, memMiB: null },
      { pid: 1, deviceId: 'drm:b', engines: null, memMiB: 8 },
      { pid: 2, deviceId: 'drm:a', engines: { gfx: 80 }, memMiB: null },
      { pid: 2, deviceId: 'drm:a', engines: { gfx: 70 }, memMiB: null },
    ]);
    expect(rows).toEqual([
      { pid: 1, deviceId: 'drm:a', util: 60, memMiB: 150, clients: 3 },
      { pid: 1, deviceId: 'drm:b', util: null, memMiB: 8, clients: 1 },
      { pid: 2, deviceId: 'drm:a', util: 100, memMiB: null, clients: 2 },
    ]);
  });
});
