import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../../../shared/engine-types.js';
import type { UserState } from '../../../shared/trace.js';
import { appendPoint, awayBands, gpuColumns, gpuIds, mergeHistory } from './history.js';

const point = (at: number, userState: UserState = 'active', gpus: HistoryPoint['gpus'] = []): HistoryPoint => ({
  at,
  userState,
  cpu: 10,
  gpus,
  top: [],
});

describe('chart history', () => {
  it('appends in time order and stays bounded', () => {
    let list: HistoryPoint[] = [];
    for (let i = 1; i <= 10; i++) list = appendPoint(list, point(i), 4);
    expect(list.map((p) => p.at)).toEqual([7, 8, 9, 10]);
    expect(appendPoint(list, point(10), 4)).toBe(list);
  });

  it('merges the snapshot with points that arrived after it', () => {
    const merged = mergeHistory([point(1), point(2)], [point(2), point(3)], 10);
    expect(merged.map((p) => p.at)).toEqual([1, 2, 3]);
  });

  it('shades idle and locked runs until the next point', () => {
    const pts = [point(0), point(1, 'idle'), point(2, 'idle'), point(3, 'locked'), point(4), point(5, 'idle')];
    expect(awayBands(pts)).toEqual([
      { from: 1, to: 3, kind: 'idle' },
      { from: 3, to: 4, kind: 'locked' },
      { from: 5, to: 5, kind: 'idle' },
    ]);
  });

  it('builds one column per GPU, null where it was not reported', () => {
    const pts = [point(1000, 'active', [{ id: '0', util: 50 }]), point(2000, 'active', [{ id: '1', util: 5 }])];
    expect(gpuIds(pts)).toEqual(['0', '1']);
    expect(gpuColumns(pts, '0')).toEqual([
      [1, 2],
      [50, null],
    ]);
  });
});
