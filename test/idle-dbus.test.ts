import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbusClient } from '../main/engine/idle/dbus-call.js';
import { FreedesktopScreenSaverSource } from '../main/engine/idle/freedesktop-screensaver.js';
import { GnomeMutterIdleSource } from '../main/engine/idle/gnome-mutter.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { IdleInhibitorSource } from '../main/engine/idle/inhibitors.js';
import { LogindIdleSource } from '../main/engine/idle/logind.js';
import { findOnPath } from '../main/engine/util/exec.js';
import { PrivateBus } from './fakes/idle-dbus-service.js';
import { FakeDesktop } from './fakes/idle-fake-desktop.js';

const tools = (['gdbus', 'busctl'] as const).filter((t) => findOnPath(t) !== null);
const canRun = findOnPath('dbus-daemon') !== null && tools.length > 0;
if (!canRun) {
  console.warn(
    'skipped: D-Bus idle source tests need dbus-daemon and gdbus or busctl (apt install dbus libglib2.0-bin)',
  );
}

function busEnv(address: string): NodeJS.ProcessEnv {
  // Only what the tools need: no inherited desktop bus can leak into the test.
  return { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: address, DBUS_SYSTEM_BUS_ADDRESS: address };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

describe.skipIf(!canRun)('D-Bus idle sources against fake desktop services on a private bus', () => {
  let bus: PrivateBus;
  let desktop: FakeDesktop;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    bus = await PrivateBus.start();
    desktop = await FakeDesktop.start(bus);
    env = busEnv(bus.address);
  });

  afterAll(async () => {
    desktop?.close();
    await bus?.stop();
  });

  describe.each(tools)('through %s', (tool) => {
    it('uses the program it was asked to', () => {
      expect(new DbusClient({ env, tool }).tool()).toBe(tool);
    });

    it('GNOME Mutter: GetIdletime milliseconds become seconds, org.gnome.ScreenSaver gives the lock', async () => {
      const src = new GnomeMutterIdleSource({ env, tool });
      const a = await src.available();
      expect(a).toEqual({ ok: true, detail: `GetIdletime on the session bus via ${tool}` });
      desktop.state.mutterIdleMs = 93_250;
      desktop.state.gnomeLocked = false;
      expect(await src.read()).toEqual({ idleSec: 93.25, locked: false });
      desktop.state.mutterIdleMs = 12;
      desktop.state.gnomeLocked = true;
      expect(await src.read()).toEqual({ idleSec: 0.012, locked: true });
    });

    it('freedesktop ScreenSaver: KDE milliseconds and GetActive; NotSupported is a reason, not a reading', async () => {
      const src = new FreedesktopScreenSaverSource({ env, tool });
      desktop.state.kdeIdle = 61_000;
      desktop.state.kdeLocked = false;
      expect((await src.available()).ok).toBe(true);
      expect(await src.read()).toEqual({ idleSec: 61, locked: false });
      desktop.state.kdeLocked = true;
      expect(await src.read()).toEqual({ idleSec: 61, locked: true });

      desktop.state.kdeIdle = 'not-supported';
      const refused = await src.available();
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.reason).toMatch(/does not report idle time here/);
        expect(refused.reason).toMatch(/GetSessionIdleTime is not supported on this platform/);
      }
      await expect(src.read()).rejects.toThrow(/not supported/);
      desktop.state.kdeIdle = 0;
    });

    it('freedesktop ScreenSaver in seconds when told so', async () => {
      desktop.state.kdeIdle = 75;
      expect((await new FreedesktopScreenSaverSource({ env, tool, unit: 's' }).read()).idleSec).toBe(75);
      desktop.state.kdeIdle = 0;
    });

    it('logind: idle time from IdleSinceHintMonotonic while IdleHint is set, LockedHint as the lock', async () => {
      const src = new LogindIdleSource({ env, tool });
      desktop.state.logind = {
        idleHint: true,
        idleSinceUs: Date.now() * 1000 - 400_000_000,
        idleSinceMonotonicUs: monotonicUs() - 42_000_000,
        lockedHint: true,
      };
      const a = await src.available();
      expect(a.ok).toBe(true);
      if (a.ok) expect(a.detail).toMatch(/coarse/);
      const r = await src.read();
      expect(r.locked).toBe(true);
      // Monotonic wins over the realtime stamp (which says 400 s).
      expect(r.idleSec).toBeGreaterThanOrEqual(42);
      expect(r.idleSec).toBeLessThan(44);

      desktop.state.logind = { ...desktop.state.logind, idleHint: false, lockedHint: false };
      expect(await src.read()).toEqual({ idleSec: 0, locked: false });
    });

    it('logind: a hint the desktop never set is unknown, not active', async () => {
      desktop.state.logind = { idleHint: false, idleSinceUs: 0, idleSinceMonotonicUs: 0, lockedHint: false };
      const src = new LogindIdleSource({ env, tool });
      const a = await src.available();
      expect(a.ok).toBe(true);
      if (a.ok) expect(a.detail).toMatch(/never set an idle hint/);
      expect(await src.read()).toEqual({ idleSec: null, locked: false });
    });

    it('inhibitors: GNOME apps with the idle flag and logind locks on "idle", merged', async () => {
      desktop.state.gnomeInhibitors = [
        { appId: 'org.gnome.Totem', flags: 8 },
        { appId: 'org.gnome.Nautilus', flags: 4 },
        { appId: 'firefox', flags: 12 },
      ];
      desktop.syncGnomeInhibitors();
      desktop.state.logindInhibitors = [
        ['sleep', 'NetworkManager', 'NetworkManager needs to turn off networks', 'delay', 0, 770],
        ['idle:sleep', 'mpv', 'Playing "film.mkv"', 'block', 1000, 4242],
        ['handle-lid-switch', 'gnome-settings-daemon', 'External monitor attached', 'block', 1000, 1500],
      ];
      const src = new IdleInhibitorSource({ env, tool });
      const a = await src.available();
      expect(a).toEqual({ ok: true, detail: 'idle inhibitors from GNOME session manager and systemd-logind' });
      expect(await src.read()).toEqual(['firefox', 'mpv', 'org.gnome.Totem']);

      // No idle flag anywhere: GNOME answers from InhibitedActions alone.
      desktop.state.gnomeInhibitors = [{ appId: 'org.gnome.Nautilus', flags: 4 }];
      desktop.syncGnomeInhibitors();
      desktop.state.logindInhibitors = [];
      const before = desktop.service.calls.length;
      expect(await src.read()).toEqual([]);
      const asked = desktop.service.calls.slice(before).map((c) => c.member);
      expect(asked).not.toContain('GetInhibitors');
      desktop.state.gnomeInhibitors = [];
      desktop.syncGnomeInhibitors();
    });
  });

  it('IdleMonitor over real D-Bus: skips what does not work, says why, and reads the first that does', async () => {
    const other = await PrivateBus.start();
    // Only logind and KDE's service exist, and KDE refuses (Plasma on Wayland).
    const partial = await FakeDesktop.start(other, ['org.freedesktop.ScreenSaver', 'org.freedesktop.login1']);
    try {
      partial.state.kdeIdle = 'not-supported';
      partial.state.logind = {
        idleHint: true,
        idleSinceUs: 0,
        idleSinceMonotonicUs: monotonicUs() - 300_000_000,
        lockedHint: false,
      };
      const e = busEnv(other.address);
      const monitor = new IdleMonitor({
        sources: [
          new GnomeMutterIdleSource({ env: e }),
          new FreedesktopScreenSaverSource({ env: e }),
          new LogindIdleSource({ env: e }),
        ],
        inhibitors: new IdleInhibitorSource({ env: e }),
        idleThresholdSec: 60,
      });
      const r = await monitor.read(Date.now());
      expect(r.source).toBe('idle.logind');
      expect(r.state).toBe('idle');
      expect(r.idleSec).toBeGreaterThanOrEqual(300);
      expect(r.inhibitors).toEqual([]);
      const st = monitor.status();
      expect(st.id).toBe('idle.logind');
      expect(st.health).toBe('ok');
      expect(st.detail).toMatch(/idle\.gnome-mutter: org\.gnome\.Mutter\.IdleMonitor is not on the session bus/);
      expect(st.detail).toMatch(
        /idle\.freedesktop-screensaver: org\.freedesktop\.ScreenSaver does not report idle time/,
      );
    } finally {
      partial.close();
      await other.stop();
    }
  });

  describe('a bus with nothing on it', () => {
    let bare: PrivateBus;
    let bareEnv: NodeJS.ProcessEnv;
    beforeAll(async () => {
      bare = await PrivateBus.start();
      bareEnv = busEnv(bare.address);
    });
    afterAll(async () => {
      await bare?.stop();
    });

    it.each(tools)('every source names what is missing (%s)', async (tool) => {
      const reasons = await Promise.all(
        [
          new GnomeMutterIdleSource({ env: bareEnv, tool }),
          new FreedesktopScreenSaverSource({ env: bareEnv, tool }),
          new LogindIdleSource({ env: bareEnv, tool }),
          new IdleInhibitorSource({ env: bareEnv, tool }),
        ].map(async (s) => s.available()),
      );
      expect(reasons).toEqual([
        { ok: false, reason: 'org.gnome.Mutter.IdleMonitor is not on the session bus (not a GNOME session)' },
        { ok: false, reason: 'org.freedesktop.ScreenSaver is not on the session bus' },
        { ok: false, reason: 'systemd-logind is not running (org.freedesktop.login1 is not on the system bus)' },
        {
          ok: false,
          reason: 'GNOME session manager is not on the session bus; systemd-logind is not on the system bus',
        },
      ]);
    });

    it.each(tools)('no bus at all is a reason too (%s)', async (tool) => {
      const none = busEnv('unix:path=/nonexistent/idlewatch-test-bus');
      const a = await new GnomeMutterIdleSource({ env: none, tool }).available();
      expect(a.ok).toBe(false);
      if (!a.ok) expect(a.reason).toMatch(/^no D-Bus session bus \(/);
      const l = await new LogindIdleSource({ env: none, tool }).available();
      expect(l.ok).toBe(false);
      if (!l.ok) expect(l.reason).toMatch(/^no D-Bus system bus \(/);
    });

    it('without gdbus or busctl the reason says what to install', async () => {
      const a = await new GnomeMutterIdleSource({ env: { ...bareEnv, PATH: '/nonexistent' } }).available();
      expect(a).toEqual({ ok: false, reason: 'neither gdbus nor busctl is installed (apt install libglib2.0-bin)' });
    });
  });
});
