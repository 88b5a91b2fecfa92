import { describe, expect, it } from 'vitest';
import { busyRows, sameRow } from './busy.js';
import { processKey } from '../../../shared/identity.js';
import { proc } from './fixtures.test-helpers.js';

describe('busy rows', () => {
  const procs = [
    proc({ pid: 1, name: 'idle', cpu: 0 }),
    proc({ pid: 2, name: 'burner', cpu: 99 }),
    proc({ pid: 3, name: 'miner', cpu: 10, gpu: 95, exe: '/tmp/m' }),
    proc({ pid: 4, name: 'Alpha', cpu: 5, user: 'root' }),
  ];

  it('hides idle processes unless asked, sorts by GPU then CPU by default', () => {
    expect(
      busyRows(procs, { sort: { key: 'gpu', dir: 'desc' }, filter: '', showIdle: false }).map((p) => p.pid),
    ).toEqual([3, 2, 4]);
    expect(
      busyRows(procs, { sort: { key: 'cpu', dir: 'desc' }, filter: '', showIdle: true }).map((p) => p.pid),
    ).toEqual([2, 3, 4, 1]);
    expect(
      busyRows(procs, { sort: { key: 'name', dir: 'asc' }, filter: '', showIdle: true }).map((p) => p.name),
    ).toEqual(['Alpha', 'burner', 'idle', 'miner']);
  });

  it('filters on name, path, user and pid', () => {
    const opts = { sort: { key: 'cpu', dir: 'desc' } as const, showIdle: true };
    expect(busyRows(procs, { ...opts, filter: '/tmp' }).map((p) => p.pid)).toEqual([3]);
    expect(busyRows(procs, { ...opts, filter: 'ROOT' }).map((p) => p.pid)).toEqual([4]);
    expect(busyRows(procs, { ...opts, filter: '2' }).map((p) => p.pid)).toEqual([2]);
  });

  it('sorts 1,000 processes quickly and keys rows by pid and start time', () => {
    const many = Array.from({ length: 1000 }, (_, i) => proc({ pid: i + 1, startTimeMs: 5, cpu: (i * 7) % 100 }));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) busyRows(many, { sort: { key: 'cpu', dir: 'desc' }, filter: '', showIdle: true });
    expect((performance.now() - t0) / 20).toBeLessThan(20);
    expect(processKey(many[0]!)).toBe('1@5');
    expect(sameRow(many[0]!, { ...many[0]! })).toBe(true);
    expect(sameRow(many[0]!, { ...many[0]!, cpu: 1.5 })).toBe(false);
  });
});
