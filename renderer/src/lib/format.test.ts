import { afterEach, describe, expect, it, vi } from 'vitest';
import { localDateTime } from './format.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('localDateTime', () => {
  it('local wall-clock time with the zone name and its offset, never bare UTC', () => {
    const at = Date.UTC(2026, 11, 7, 18, 25, 56);
    vi.stubEnv('TZ', 'Europe/Berlin');
    expect(localDateTime(at, 'Europe/Berlin')).toBe('2026-12-07 19:25:56 Europe/Berlin (UTC+01:00)');
    vi.stubEnv('TZ', 'America/St_Johns');
    expect(localDateTime(at, 'America/St_Johns')).toBe('2026-12-07 14:55:56 America/St_Johns (UTC-03:30)');
  });

  it('an unreadable time says so', () => {
    expect(localDateTime(Number.NaN)).toBe('an unknown time');
  });
});
