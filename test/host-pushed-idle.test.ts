// PushedIdleSource: Electron's powerMonitor readings as the engine process receives them, and how
// the idle monitor falls back to the engine's own sources when those readings mean nothing.
import { describe, expect, it } from 'vitest';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { firstReadable, PushedIdleSource } from '../main/engine/idle/pushed-idle.js';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { parseEngineToMain, parseMainToEngine } from '../main/engine/host/protocol.js';
import { PowerGate } from '../main/engine/host/power-gate.js';

const win = { platform: 'win32' as const, env: {} };

describe('PushedIdleSource', () => {
  it('serves the latest pushed reading and goes stale after 5 s without one', async () => {
    let now = 0;
    const src = new PushedIdleSource({ ...win, now: () => now });
    expect(await src.available()).toEqual({ ok: false, reason: 'no idle reading from the app for 0 s' });
    src.push({ idleSec: 12, state: 'active' });
    expect(await src.available()).toMatchObject({ ok: true });
    expect(await src.read()).toEqual({ idleSec: 12, locked: false });
    now = 4000;
    src.push({ idleSec: 90, state: 'locked' });
    expect(await src.read()).toEqual({ idleSec: 90, locked: true });
    now = 9000; // 5 s since the last reading: still served
    expect(await src.read()).toEqual({ idleSec: 90, locked: true });
    now = 10_600;
    await expect(src.read()).rejects.toThrow('no idle reading from the app for 7 s');
    expect(await src.available()).toEqual({ ok: false, reason: 'no idle reading from the app for 7 s' });
  });

  it('says locked between lock-screen and unlock-screen, and ignores malformed readings', async () => {
    const src = new PushedIdleSource(win);
    src.push({ idleSec: 3, state: 'active' });
    src.setScreenLocked(true);
    expect(await src.read()).toEqual({ idleSec: 3, locked: true });
    src.setScreenLocked(false);
    src.push({ idleSec: 'x', state: 'active' } as never);
    expect(await src.read()).toEqual({ idleSec: 3, locked: false });
  });

  it('refuses itself on Wayland, so the idle monitor uses the next source', async () => {
    const pushed = new PushedIdleSource({ platform: 'linux', env: { XDG_SESSION_TYPE: 'wayland' } });
    pushed.push({ idleSec: 0, state: 'active' });
    const mutter = new ScriptedIdleSource(() => ({ idleSec: 75 }), { id: 'idle.gnome-mutter' });
    const m = new IdleMonitor({ sources: [pushed, mutter], idleThresholdSec: 60 });
    const r = await m.read(Date.now());
    expect(r).toMatchObject({ source: 'idle.gnome-mutter', state: 'idle', idleSec: 75 });
    expect(m.status().detail).toMatch(/idle\.electron: Wayland session/);
  });

  it('is set aside when its zeros disagree with the desktop (X11 session where Electron reads 0)', async () => {
    let now = 0;
    const x11 = new ScriptedIdleSource(() => ({ idleSec: 120 }), { id: 'idle.x11' });
    const pushed = new PushedIdleSource({
      platform: 'linux',
      env: { XDG_SESSION_TYPE: 'x11' },
      crossCheck: firstReadable([
        new ScriptedIdleSource(
          () => {
            throw new Error('no bus');
          },
          { id: 'a' },
        ),
        x11,
      ]),
      now: () => now,
    });
    const m = new IdleMonitor({ sources: [pushed, x11], idleThresholdSec: 60, maxReuseMs: 0 });
    const seen: (string | null)[] = [];
    for (now = 0; now <= 70_000; now += 1000) {
      pushed.push({ idleSec: 0, state: 'active' });
      seen.push((await m.read(now)).source);
    }
    expect(seen[0]).toBe('idle.electron');
    expect(seen.at(-1)).toBe('idle.x11');
    const a = await pushed.available();
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.reason).toMatch(/Electron reports idle time 0 while .* reports 120 s/);
  });
});

describe('protocol parsing', () => {
  it('accepts well-formed messages and drops the rest', () => {
    expect(parseMainToEngine({ kind: 'invoke', id: 3, channel: 'engine:status', args: [] })).toEqual({
      kind: 'invoke',
      id: 3,
      channel: 'engine:status',
      args: [],
    });
    expect(parseMainToEngine({ kind: 'invoke', id: -1, channel: 'x', args: [] })).toBeNull();
    expect(parseMainToEngine({ kind: 'invoke', id: 1, channel: 'x', args: 'no' })).toBeNull();
    expect(parseMainToEngine({ kind: 'power', event: 'hibernate' })).toBeNull();
    expect(parseMainToEngine({ kind: 'idle', reading: { idleSec: '5', state: 'active' } })).toBeNull();
    expect(parseMainToEngine(null)).toBeNull();
    expect(parseMainToEngine(['stop'])).toBeNull();
    expect(parseEngineToMain({ kind: 'result', id: 1, ok: false, error: 'boom' })).toEqual({
      kind: 'result',
      id: 1,
      ok: false,
      error: { name: 'Error', message: 'the engine failed without a message' },
    });
    expect(
      parseEngineToMain({ kind: 'notify', notification: { title: 't', body: 'b', severity: 'low', count: 0 } }),
    ).toEqual({
      kind: 'notify',
      notification: { title: 't', body: 'b', severity: 'medium', incidentKey: null, count: 1 },
    });
    expect(parseEngineToMain({ kind: 'event', channel: 5 })).toBeNull();
  });
});

describe('PowerGate', () => {
  it('passes one suspend per sleep and one resume per wake, whatever the OS repeats', () => {
    const calls: string[] = [];
    const g = new PowerGate({
      suspend: () => calls.push('suspend'),
      resume: () => calls.push('resume'),
      setScreenLocked: (l) => calls.push(l ? 'lock' : 'unlock'),
    });
    expect(g.handle('resume')).toBe(false); // a resume without a suspend is harmless
    expect(g.handle('suspend')).toBe(true);
    expect(g.handle('suspend')).toBe(false);
    expect(g.isSuspended).toBe(true);
    expect(g.handle('resume')).toBe(true);
    expect(g.handle('resume')).toBe(false);
    g.handle('lock-screen');
    g.handle('lock-screen');
    g.handle('unlock-screen');
    expect(calls).toEqual(['suspend', 'resume', 'lock', 'unlock']);
  });
});
