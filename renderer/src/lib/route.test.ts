import { describe, expect, it } from 'vitest';
import { errorMessage } from './format.js';
import { hashFor, parseProcessKey, routeFromHash } from './route.js';
import { scanPercent } from './scan.js';
import { parseTheme, resolveTheme } from './theme.js';

describe('routes, keys, themes, progress, errors', () => {
  it('maps hashes to routes and back', () => {
    expect(routeFromHash('#/incidents')).toBe('incidents');
    expect(routeFromHash('#scan')).toBe('scan');
    expect(routeFromHash('#/nope')).toBeNull();
    expect(hashFor('allowlist')).toBe('#/allowlist');
  });

  it('parses process keys', () => {
    expect(parseProcessKey('12@1700000000000')).toEqual({ pid: 12, startTimeMs: 1_700_000_000_000 });
    expect(parseProcessKey('12')).toBeNull();
  });

  it('defaults to the dark theme; System follows the desktop', () => {
    expect(parseTheme(null)).toBe('dark');
    expect(parseTheme('light')).toBe('light');
    expect(resolveTheme('system', true)).toBe('light');
    expect(resolveTheme('system', false)).toBe('dark');
  });

  it('computes overall scan progress', () => {
    expect(scanPercent(null)).toBe(0);
    expect(scanPercent({ step: 'network', label: '', index: 3, total: 8, phase: 'progress', fraction: 0.5 })).toBe(31);
    expect(scanPercent({ step: 'hashes', label: '', index: 8, total: 8, phase: 'done' })).toBe(100);
  });

  it('keeps the engine message, without the IPC transport prefix', () => {
    expect(errorMessage(new Error("Error invoking remote method 'settings:set': Error: bad value"))).toBe('bad value');
    expect(errorMessage(new Error('plain'))).toBe('plain');
  });
});
