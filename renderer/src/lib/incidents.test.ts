import { describe, expect, it } from 'vitest';
import { incident } from './fixtures.test-helpers.js';
import { byNewest, filterToQuery, matchesQuery, mergeFetched, upsertIncident } from './incidents.js';

describe('incident queries', () => {
  it('turns a filter into the engine query', () => {
    expect(filterToQuery({ severities: [], text: '  ', range: 'all' }, 10_000_000)).toEqual({ includeReviewed: true });
    expect(filterToQuery({ severities: ['high'], text: ' nv ', range: 'hour' }, 10_000_000)).toEqual({
      includeReviewed: true,
      severity: ['high'],
      text: 'nv',
      since: 10_000_000 - 3_600_000,
    });
  });

  it('matches like the engine: severity, text over name/path/command line, time, reviewed', () => {
    const i = incident();
    expect(matchesQuery(i, { text: 'DONATE' })).toBe(true);
    expect(matchesQuery(i, { text: 'chrome' })).toBe(false);
    expect(matchesQuery(i, { severity: ['low'] })).toBe(false);
    expect(matchesQuery(i, { since: i.lastAt + 1 })).toBe(false);
    expect(matchesQuery({ ...i, reviewed: true }, { includeReviewed: false })).toBe(false);
    expect(matchesQuery({ ...i, allowlisted: true }, { includeAllowlisted: false })).toBe(false);
  });

  it('upserts: replaces by key, adds new ones in order, drops ones that stop matching', () => {
    const a = incident({ pid: 1, key: '1@1', lastAt: 1 });
    const b = incident({ pid: 2, key: '2@1', lastAt: 2 });
    let list = upsertIncident([a], b, {}, byNewest);
    expect(list.map((i) => i.key)).toEqual(['2@1', '1@1']);
    list = upsertIncident(list, { ...a, lastAt: 3 }, {}, byNewest);
    expect(list.map((i) => i.key)).toEqual(['1@1', '2@1']);
    list = upsertIncident(list, { ...b, reviewed: true }, { includeReviewed: false }, byNewest);
    expect(list.map((i) => i.key)).toEqual(['1@1']);
  });

  it('merges a fetched list with newer events', () => {
    const fetched = [incident({ pid: 1, key: '1@1', lastAt: 5 })];
    const events = [incident({ pid: 1, key: '1@1', lastAt: 9 }), incident({ pid: 2, key: '2@1', lastAt: 7 })];
    const merged = mergeFetched(fetched, events, {}, byNewest);
    expect(merged.map((i) => [i.key, i.lastAt])).toEqual([
      ['1@1', 9],
      ['2@1', 7],
    ]);
  });
});
