import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../main/engine/engine.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { PresenceMonitor } from '../main/engine/idle/presence-monitor.js';
import { wmClass, X11FullscreenSource } from '../main/engine/platform/linux/idle/x11-fullscreen.js';
import { X11IdleSource } from '../main/engine/platform/linux/idle/x11-xprintidle.js';
import { findOnPath, runFile } from '../main/engine/util/exec.js';
import { Xvfb } from './fakes/idle-xvfb.js';
import { FakeWindowManager } from './fakes/x11-windows.js';

const missing = ['Xvfb', 'xdotool'].filter((p) => findOnPath(p) === null);
if (missing.length > 0) console.warn(`skipped: fullscreen tests need ${missing.join(', ')} (apt install xvfb xdotool)`);

/** No cookie file and nothing on PATH: the reader works over its own connection or not at all. */
const env = (display: string): NodeJS.ProcessEnv => ({
  DISPLAY: display,
  PATH: '/nonexistent',
  XAUTHORITY: '/nonexistent',
});
const FULLSCREEN = '_NET_WM_STATE_FULLSCREEN';

describe('wmClass', () => {
  it('takes the class, strips what is not printable and bounds it', () => {
    expect(wmClass(Buffer.from('steam_app_570\0dota2\0', 'latin1'))).toBe('dota2');
    expect(wmClass(Buffer.from('only\0', 'latin1'))).toBe('only');
    expect(wmClass(Buffer.from(`x\0${'\x1b[31m'}evil\n${'A'.repeat(500)}\0`, 'latin1'))).toBe(
      `[31mevil${'A'.repeat(56)}`,
    );
    expect(wmClass(null)).toBeNull();
  });
});

describe.skipIf(missing.length > 0)('fullscreen window on a real X server (Xvfb)', () => {
  let xvfb: Xvfb;
  let wm: FakeWindowManager;

  beforeAll(async () => {
    xvfb = await Xvfb.start();
    wm = await FakeWindowManager.open(xvfb.display);
  });
  afterAll(async () => {
    wm?.close();
    await xvfb?.stop();
  });

  async function input(): Promise<void> {
    const r = await runFile('xdotool', ['mousemove', String(10 + Math.floor(Math.random() * 300)), '100'], {
      timeoutMs: 5000,
      env: { PATH: process.env.PATH, DISPLAY: xvfb.display },
    });
    if (!r.ok) throw new Error(r.error);
  }

  it('says unavailable, and why, where no window manager publishes the active window', async () => {
    const src = new X11FullscreenSource({ env: env(xvfb.display) });
    expect(await src.available()).toEqual({
      ok: false,
      reason: `no window manager on ${xvfb.display} publishes the active window (_NET_ACTIVE_WINDOW)`,
    });
    await src.close();
    const wayland = new X11FullscreenSource({ env: { ...env(xvfb.display), XDG_SESSION_TYPE: 'wayland' } });
    expect(await wayland.available()).toMatchObject({ ok: false, reason: expect.stringMatching(/^Wayland session/) });
    expect(await new X11FullscreenSource({ env: {} }).available()).toEqual({
      ok: false,
      reason: 'no X display (DISPLAY is not set)',
    });
  });

  it('reads the active window, its fullscreen state, pid and class over one connection', async () => {
    const src = new X11FullscreenSource({ env: env(xvfb.display) });
    const w = await wm.createWindow();
    await wm.setActive(w);
    await wm.setPid(w, 4242);
    await wm.setClass(w, 'steam_app_570', 'dota2');
    await wm.setState(w, ['_NET_WM_STATE_MAXIMIZED_VERT']);
    expect(await src.available()).toMatchObject({ ok: true });
    const id = `0x${w.toString(16)}`;
    expect(await src.read()).toEqual({ fullscreen: false, window: id, pid: null, app: null });
    await wm.setState(w, ['_NET_WM_STATE_ABOVE', FULLSCREEN]);
    expect(await src.read()).toEqual({ fullscreen: true, window: id, pid: 4242, app: 'dota2' });
    // The window closes while still named active: not fullscreen, not an error.
    await wm.destroyWindow(w);
    expect(await src.read()).toEqual({ fullscreen: false, window: null, pid: null, app: null });
    await wm.setActive(0);
    expect(await src.read()).toMatchObject({ fullscreen: false, window: null });
    await src.close();
  });

  it('a game the user starts keeps them present; a window that goes fullscreen while they are away does not', async () => {
    const thresholdSec = 3;
    const e = env(xvfb.display);
    const presence = new PresenceMonitor({
      idle: new IdleMonitor({ sources: [new X11IdleSource({ env: e })], idleThresholdSec: thresholdSec }),
      fullscreen: new X11FullscreenSource({ env: e }),
      gamepad: null,
      idleThresholdSec: thresholdSec,
      fullscreenEveryMs: 0,
    });
    try {
      const game = await wm.createWindow();
      await wm.setClass(game, 'game', 'SuperTuxKart');
      await wm.setState(game, [FULLSCREEN]);
      await wm.setActive(game);
      await input();
      expect(await presence.read(Date.now())).toMatchObject({ state: 'active' });
      expect(presence.quiet()).toBe(true);
      // Keyboard and mouse still for longer than the threshold: the game keeps the user present.
      await sleep((thresholdSec + 1) * 1000);
      const playing = await presence.read(Date.now());
      expect(playing.state).toBe('active');
      expect(playing.idleSec).toBeGreaterThanOrEqual(thresholdSec);
      expect(presence.latest()).toMatchObject({ presence: 'fullscreen', app: 'SuperTuxKart' });
      // The game ends: away at once.
      await wm.setState(game, []);
      expect((await presence.read(Date.now())).state).toBe('idle');
      expect(presence.quiet()).toBe(false);
      // A window that covers the screen while nobody is there is not a player.
      const cover = await wm.createWindow();
      await wm.setState(cover, [FULLSCREEN]);
      await wm.setActive(cover);
      expect((await presence.read(Date.now())).state).toBe('idle');
      expect(presence.quiet()).toBe(false);
      await wm.destroyWindow(cover);
      await wm.destroyWindow(game);
    } finally {
      await presence.stop();
    }
  });

  it('the engine builds it in: probe lists it and the detector hook follows it', async () => {
    const e = env(xvfb.display);
    const engine = new Engine({
      idleSources: [new X11IdleSource({ env: e })],
      fullscreenSource: new X11FullscreenSource({ env: e }),
      gamepadSource: null,
      idleThresholdSec: 60,
    });
    const w = await wm.createWindow();
    await wm.setState(w, [FULLSCREEN]);
    await wm.setActive(w);
    await input();
    try {
      expect((await engine.probe()).filter((p) => p.kind === 'fullscreen')).toEqual([
        {
          id: 'fullscreen.x11',
          label: 'Fullscreen window (X11 _NET_WM_STATE)',
          kind: 'fullscreen',
          availability: { ok: true, detail: `the active window's _NET_WM_STATE on ${xvfb.display}` },
        },
      ]);
      await engine.idle.read(Date.now());
      expect(engine.quietForFullscreen()).toBe(true);
      expect(engine.sources().find((s) => s.id === 'fullscreen.x11')).toMatchObject({ health: 'ok' });
    } finally {
      await engine.idle.stop?.();
      await wm.destroyWindow(w);
    }
  });
});
