// The app:// file lookup and headers, and the hidden-window reaper.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appHeaders, CSP, resolveAppFile } from '../main/app/app-protocol.js';
import { HIDDEN_WINDOW_TTL_MS, HiddenWindowReaper } from '../main/app/window-reaper.js';

const ROOT = '/opt/idlewatch/out/renderer';

describe('resolveAppFile', () => {
  it('maps app://idlewatch/ paths under the renderer folder', () => {
    expect(resolveAppFile(ROOT, 'app://idlewatch/index.html')).toBe(join(ROOT, 'index.html'));
    expect(resolveAppFile(ROOT, 'app://idlewatch/')).toBe(join(ROOT, 'index.html'));
    expect(resolveAppFile(ROOT, 'app://idlewatch/assets/index-abc.js?v=1#x')).toBe(join(ROOT, 'assets/index-abc.js'));
    expect(resolveAppFile(ROOT, 'app://idlewatch/a%20b.css')).toBe(join(ROOT, 'a b.css'));
  });

  it('refuses paths out of the folder, other hosts and broken escapes', () => {
    for (const url of [
      'app://idlewatch/../../etc/passwd',
      'app://idlewatch/%2e%2e/%2e%2e/etc/passwd',
      'app://idlewatch/..%2f..%2fetc%2fpasswd',
      'app://idlewatch/..%5c..%5cwindows',
      'app://idlewatch/a/../../../../etc/passwd',
    ]) {
      // Dot segments are clamped at the root: whatever the URL, the file is inside the folder.
      const file = resolveAppFile(ROOT, url);
      expect(file === null || file.startsWith(`${ROOT}/`), `${url} -> ${file}`).toBe(true);
    }
    expect(resolveAppFile(ROOT, 'app://idlewatch/%2e%2e/%2e%2e/etc/passwd')).toBe(join(ROOT, 'etc/passwd'));
    expect(resolveAppFile(ROOT, 'app://other/index.html')).toBeNull();
    expect(resolveAppFile(ROOT, 'app://idlewatch/%00index.html')).toBeNull();
    expect(resolveAppFile(ROOT, 'app://idlewatch/%E0%A4%A')).toBeNull();
  });
});

describe('appHeaders', () => {
  it('sends the CSP with every file, and the same policy the page declares', () => {
    const h = appHeaders('/x/index.html');
    expect(h).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
    });
    expect(appHeaders('/x/a.JS')['content-type']).toBe('text/javascript');
    expect(appHeaders('/x/blob.bin')['content-type']).toBe('application/octet-stream');
    const html = readFileSync(resolve(import.meta.dirname, '..', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    // The header adds frame-ancestors (which a meta tag cannot set) and is otherwise identical.
    expect(CSP).toBe(`${meta}; frame-ancestors 'none'`);
    expect(CSP).toMatch(/script-src 'self'(;|$)/);
    expect(CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});

describe('HiddenWindowReaper', () => {
  function timers() {
    const t = {
      clock: 0,
      list: new Map<number, { fn: () => void; due: number }>(),
      seq: 0,
      setTimeout(fn: () => void, ms: number) {
        const id = ++t.seq;
        t.list.set(id, { fn, due: t.clock + ms });
        return id;
      },
      clearTimeout(h: unknown) {
        t.list.delete(h as number);
      },
      advance(ms: number) {
        t.clock += ms;
        for (const [id, x] of [...t.list]) if (x.due <= t.clock && t.list.delete(id)) x.fn();
      },
    };
    return t;
  }

  it('destroys a window hidden for 5 minutes, not one shown again before that', () => {
    const t = timers();
    let destroyed = 0;
    const r = new HiddenWindowReaper(() => destroyed++, HIDDEN_WINDOW_TTL_MS, t);
    r.hidden();
    t.advance(4 * 60_000);
    r.shown();
    t.advance(10 * 60_000);
    expect(destroyed).toBe(0);
    r.hidden();
    r.hidden(); // hiding twice restarts the countdown, once
    t.advance(5 * 60_000 - 1);
    expect([destroyed, r.pending]).toEqual([0, true]);
    t.advance(1);
    expect([destroyed, r.pending]).toEqual([1, false]);
    t.advance(60 * 60_000);
    expect(destroyed).toBe(1);
  });
});
