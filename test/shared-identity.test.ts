import { describe, expect, it } from 'vitest';
import { parseProcessKey, processKey, walkParents } from '../shared/identity.js';

type P = { pid: number; ppid: number | null };
const table = (...rows: [number, number | null][]): Map<number, P> =>
  new Map(rows.map(([pid, ppid]) => [pid, { pid, ppid }]));

describe('processKey', () => {
  it('round-trips through parseProcessKey and refuses what is not a key', () => {
    expect(parseProcessKey(processKey({ pid: 12, startTimeMs: 1_700_000_000_000 }))).toEqual({
      pid: 12,
      startTimeMs: 1_700_000_000_000,
    });
    expect(parseProcessKey('12')).toBeNull();
    expect(parseProcessKey('0@5')).toBeNull();
  });
});

describe('walkParents', () => {
  const t = table([40, 30], [30, 20], [20, 1], [1, 0]);
  const chain = (r: { chain: P[] }) => r.chain.map((p) => p.pid);

  it('walks nearest first up to init, or stops before it', () => {
    expect(chain(walkParents(40, (pid) => t.get(pid), { max: 10, above: 0 }))).toEqual([40, 30, 20, 1]);
    expect(chain(walkParents(40, (pid) => t.get(pid), { max: 10, above: 1 }))).toEqual([40, 30, 20]);
  });

  it('stops after max steps', () => {
    expect(chain(walkParents(40, (pid) => t.get(pid), { max: 2, above: 0 }))).toEqual([40, 30]);
  });

  it('returns the first parent it cannot see as missing', () => {
    const r = walkParents(40, (pid) => (pid === 20 ? undefined : t.get(pid)), { max: 10, above: 0 });
    expect(chain(r)).toEqual([40, 30]);
    expect(r.missing).toBe(20);
  });

  it('ends a loop (pid reuse), and a loop back to the process itself when self is given', () => {
    const loop = table([5, 6], [6, 5]);
    expect(chain(walkParents(5, (pid) => loop.get(pid), { max: 10, above: 0 }))).toEqual([5, 6]);
    expect(chain(walkParents(6, (pid) => loop.get(pid), { max: 10, above: 0, self: 5 }))).toEqual([6]);
  });
});
