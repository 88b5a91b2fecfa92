import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DbusToolClient } from '../main/engine/platform/linux/idle/dbus-call.js';
import type { DbusTransport } from '../main/engine/platform/linux/idle/dbus-caller.js';
import { NativeDbusClient } from '../main/engine/platform/linux/idle/dbus-client.js';
import { DbusCallError } from '../main/engine/platform/linux/idle/dbus-types.js';
import { FreedesktopScreenSaverSource } from '../main/engine/platform/linux/idle/freedesktop-screensaver.js';
import { GnomeMutterIdleSource } from '../main/engine/platform/linux/idle/gnome-mutter.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { IdleInhibitorSource } from '../main/engine/platform/linux/idle/inhibitors.js';
import { LogindIdleSource } from '../main/engine/platform/linux/idle/logind.js';
import { findOnPath } from '../main/engine/util/exec.js';
import { PrivateBus } from './fakes/idle-dbus-service.js';
import { FakeDesktop, SERVICE_NAMES, withFakeDesktop } from './fakes/idle-fake-desktop.js';

// Every program the engine starts goes through execFile (util/exec.ts runFile); counting its calls
// shows whether a read started gdbus/busctl. The fakes start dbus-daemon with spawn, not counted.
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  return { ...real, execFile: vi.fn(real.execFile) };
});
const programRuns = (): number => vi.mocked(execFile).mock.calls.length;

const tools = (['gdbus', 'busctl'] as const).filter((t) => findOnPath(t) !== null);
const canRun = findOnPath('dbus-daemon') !== null;
if (!canRun) console.warn('skipped: D-Bus idle source tests need dbus-daemon (apt install dbus)');
if (canRun && tools.length < 2) {
  console.warn(`gdbus/busctl fallback tests limited to: ${tools.join(', ') || 'none'} (apt install libglib2.0-bin)`);
}

/** A PATH holding none of the D-Bus programs: a read that works with it cannot have started one. */
const NO_PROGRAMS = '/nonexistent';

function busEnv(address: string, path = process.env.PATH): NodeJS.ProcessEnv {
  // Only what the clients need: no inherited desktop bus can leak into the test.
  return { PATH: path, DBUS_SESSION_BUS_ADDRESS: address, DBUS_SYSTEM_BUS_ADDRESS: address };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const transports: DbusTransport[] = ['native', ...tools];

/** How a source's availability detail names the path its probe took. */
function via(transport: DbusTransport): string {
  return transport === 'native' || transport === 'auto' ? 'over a native D-Bus connection' : `via ${transport}`;
}

describe.skipIf(!canRun)('D-Bus idle sources against fake desktop services on a private bus', () => {
  let bus: PrivateBus;
  let desktop: FakeDesktop;

  beforeAll(async () => {
    bus = await PrivateBus.start();
    desktop = await FakeDesktop.start(bus);
  });

  afterAll(async () => {
    desktop?.close();
    await bus?.stop();
  });

  describe.each(transports)('through %s', (transport) => {
    // The native path runs with no D-Bus program on PATH, so it cannot quietly fall back to one.
    const envOf = (): NodeJS.ProcessEnv => busEnv(bus.address, transport === 'native' ? NO_PROGRAMS : undefined);
    let runsBefore = 0;
    beforeEach(() => {
      runsBefore = programRuns();
    });
    const expectPrograms = (): void => {
      if (transport === 'native') expect(programRuns() - runsBefore).toBe(0);
      else expect(programRuns() - runsBefore).toBeGreaterThan(0);
    };

    it('GNOME Mutter: GetIdletime milliseconds become seconds, org.gnome.ScreenSaver gives the lock', async () => {
      const src = new GnomeMutterIdleSource({ env: envOf(), transport });
      const a = await src.available();
      expect(a).toEqual({ ok: true, detail: `GetIdletime on the session bus ${via(transport)}` });
      desktop.state.mutterIdleMs = 93_250;
      desktop.state.gnomeLocked = false;
      expect(await src.read()).toEqual({ idleSec: 93.25, locked: false });
      desktop.state.mutterIdleMs = 12;
      desktop.state.gnomeLocked = true;
      expect(await src.read()).toEqual({ idleSec: 0.012, locked: true });
      expectPrograms();
      await src.close();
    });

    it('freedesktop ScreenSaver: KDE milliseconds and GetActive; NotSupported is a reason, not a reading', async () => {
      const src = new FreedesktopScreenSaverSource({ env: envOf(), transport });
      desktop.state.kdeIdle = 61_000;
      desktop.state.kdeLocked = false;
      expect(await src.available()).toEqual({
        ok: true,
        detail: `GetSessionIdleTime on the session bus ${via(transport)}`,
      });
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
      expectPrograms();
      await src.close();
    });

    it('freedesktop ScreenSaver in seconds when told so', async () => {
      desktop.state.kdeIdle = 75;
      const src = new FreedesktopScreenSaverSource({ env: envOf(), transport, unit: 's' });
      expect((await src.read()).idleSec).toBe(75);
      desktop.state.kdeIdle = 0;
      await src.close();
    });

    it('logind: idle time from IdleSinceHintMonotonic while IdleHint is set, LockedHint as the lock', async () => {
      const src = new LogindIdleSource({ env: envOf(), transport });
      desktop.state.logind = {
        idleHint: true,
        idleSinceUs: Date.now() * 1000 - 400_000_000,
        idleSinceMonotonicUs: monotonicUs() - 42_000_000,
        lockedHint: true,
      };
      const a = await src.available();
      expect(a.ok).toBe(true);
      if (a.ok) {
        expect(a.detail).toMatch(/coarse/);
        expect(a.detail).toContain(via(transport));
      }
      const r = await src.read();
      expect(r.locked).toBe(true);
      // Monotonic wins over the realtime stamp (which says 400 s).
      expect(r.idleSec).toBeGreaterThanOrEqual(42);
      expect(r.idleSec).toBeLessThan(44);

      desktop.state.logind = { ...desktop.state.logind, idleHint: false, lockedHint: false };
      expect(await src.read()).toEqual({ idleSec: 0, locked: false });
      expectPrograms();
      await src.close();
    });

    it('logind: a hint the desktop never set is unknown, not active', async () => {
      desktop.state.logind = { idleHint: false, idleSinceUs: 0, idleSinceMonotonicUs: 0, lockedHint: false };
      const src = new LogindIdleSource({ env: envOf(), transport });
      const a = await src.available();
      expect(a.ok).toBe(true);
      if (a.ok) expect(a.detail).toMatch(/never set an idle hint/);
      expect(await src.read()).toEqual({ idleSec: null, locked: false });
      await src.close();
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
      const src = new IdleInhibitorSource({ env: envOf(), transport });
      const a = await src.available();
      expect(a).toEqual({
        ok: true,
        detail: `idle inhibitors from GNOME session manager and systemd-logind ${via(transport)}`,
      });
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
      expectPrograms();
      await src.close();
    });
  });

  it.each(tools)('the tool client uses the program it was asked to (%s)', (tool) => {
    expect(new DbusToolClient({ env: busEnv(bus.address), tool }).tool()).toBe(tool);
  });

  describe('the native client', () => {
    it('holds one connection per bus for every source and read, and starts no program', async () => {
      // PATH keeps the real programs: nothing but the native path's own choice keeps them unused.
      const env = busEnv(bus.address);
      const native = new NativeDbusClient({ env });
      const mutter = new GnomeMutterIdleSource({ env, native });
      const logind = new LogindIdleSource({ env, native });
      const inhibitors = new IdleInhibitorSource({ env, native });
      desktop.state.logind = {
        idleHint: true,
        idleSinceUs: 0,
        idleSinceMonotonicUs: monotonicUs() - 5_000_000,
        lockedHint: false,
      };
      const runs = programRuns();
      expect((await mutter.available()).ok).toBe(true);
      expect((await logind.available()).ok).toBe(true);
      for (let i = 0; i < 50; i++) {
        desktop.state.mutterIdleMs = 1000 + i;
        expect((await mutter.read()).idleSec).toBe((1000 + i) / 1000);
        expect((await logind.read()).idleSec).toBeGreaterThanOrEqual(5);
      }
      expect(await inhibitors.read()).toEqual([]);
      expect(programRuns() - runs).toBe(0);
      // One session connection and one system connection (both on the private bus here).
      expect(native.stats.connects).toBe(2);
      expect(native.stats.calls).toBeGreaterThanOrEqual(150);
      native.close();
      expect(native.connected('session')).toBe(false);
      // A closed client opens again on the next call.
      expect((await mutter.read()).idleSec).toBe(1.049);
      expect(native.stats.connects).toBe(3);
      native.close();
    });

    it('a close while a connection is still opening does not keep that connection', async () => {
      const env = busEnv(bus.address, NO_PROGRAMS);
      const native = new NativeDbusClient({ env });
      const src = new GnomeMutterIdleSource({ env, native });
      const first = src.read().then(
        () => 'read',
        (e: Error) => e.message,
      );
      native.close();
      expect(await first).toBe('the D-Bus client was closed while connecting');
      expect(native.connected('session')).toBe(false);
      expect(native.stats.connects).toBe(0);
      desktop.state.mutterIdleMs = 10;
      expect((await src.read()).idleSec).toBe(0.01);
      expect(native.stats.connects).toBe(1);
      native.close();
    });

    it('tries each address of a list in order', async () => {
      const env = busEnv(`unix:path=/nonexistent/idlewatch-a;unix:path=${bus.socketPath}`, NO_PROGRAMS);
      const src = new GnomeMutterIdleSource({ env });
      expect(await src.available()).toEqual({ ok: true, detail: `GetIdletime on the session bus ${via('native')}` });
      await src.close();
    });

    it('reconnects after the bus restarts, and fails fast with the reason while it is down', async () => {
      await withFakeDesktop({}, SERVICE_NAMES, async (other, fake) => {
        const env = busEnv(other.address, NO_PROGRAMS);
        const native = new NativeDbusClient({ env, backoff: { initialMs: 50, maxMs: 200 } });
        const src = new GnomeMutterIdleSource({ env, native });
        let revived: FakeDesktop | undefined;
        try {
          fake.state.mutterIdleMs = 500;
          expect((await src.read()).idleSec).toBe(0.5);
          await other.restart(async () => {
            fake.close();
            await expect(src.read()).rejects.toThrow(/cannot connect to .*bus|connection lost/);
            const a = await src.available();
            expect(a.ok).toBe(false);
            if (!a.ok) {
              expect(a.reason).toMatch(
                /^no D-Bus session bus \(cannot connect to .*: (no such socket|connection refused)/,
              );
            }
          });
          revived = await FakeDesktop.start(other);
          revived.state.mutterIdleMs = 700;
          // The failed attempts above set a short backoff; the first read after it reconnects.
          let r: number | null = null;
          for (let i = 0; i < 40 && r === null; i++) {
            r = await src.read().then(
              (x) => x.idleSec,
              () => null,
            );
            if (r === null) await sleep(25);
          }
          expect(r).toBe(0.7);
          expect(native.connected('session')).toBe(true);
          expect(native.stats.connects).toBe(2);
        } finally {
          await src.close();
          revived?.close();
        }
      });
    });

    it('times a call out without losing the connection', async () => {
      const env = busEnv(bus.address, NO_PROGRAMS);
      const native = new NativeDbusClient({ env, timeoutMs: 200 });
      desktop.service.export('/test/Slow', 'test.Slow', {
        methods: {
          Never: { out: 'u', call: () => new Promise<unknown[]>(() => {}) },
          Now: { out: 'u', call: () => [7] },
        },
      });
      const obj = {
        bus: 'session' as const,
        dest: 'org.gnome.Mutter.IdleMonitor',
        path: '/test/Slow',
        iface: 'test.Slow',
      };
      const err = await native.call(obj, 'Never').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbusCallError);
      expect((err as DbusCallError).failure).toBe('timeout');
      expect(await native.call(obj, 'Now')).toEqual([7]);
      expect(native.stats.connects).toBe(1);
      native.close();
      desktop.service.unexport('/test/Slow');
    });

    it('refuses a reply over the size limit, skips its bytes, and keeps the connection', async () => {
      const env = busEnv(bus.address, NO_PROGRAMS);
      const native = new NativeDbusClient({ env, maxMessageBytes: 64 * 1024 });
      desktop.service.export('/test/Big', 'test.Big', {
        methods: {
          Huge: { out: 's', call: () => ['x'.repeat(300 * 1024)] },
          Small: { out: 's', call: () => ['ok'] },
        },
      });
      const obj = {
        bus: 'session' as const,
        dest: 'org.gnome.Mutter.IdleMonitor',
        path: '/test/Big',
        iface: 'test.Big',
      };
      const err = await native.call(obj, 'Huge').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbusCallError);
      expect((err as DbusCallError).failure).toBe('bad-reply');
      expect((err as Error).message).toMatch(/over the 64 KiB limit/);
      expect(await native.call(obj, 'Small')).toEqual(['ok']);
      expect(native.stats.connects).toBe(1);
      native.close();
      desktop.service.unexport('/test/Big');
    });

    it("turns an error reply into the source's reason, with the service's own words", async () => {
      const env = busEnv(bus.address, NO_PROGRAMS);
      const src = new LogindIdleSource({ env, sessionPath: '/org/freedesktop/login1/session/nope' });
      const a = await src.available();
      expect(a).toEqual({
        ok: false,
        reason: "logind has no session object here (No such object path '/org/freedesktop/login1/session/nope')",
      });
      await src.close();
    });
  });

  describe.skipIf(!tools.includes('gdbus'))('the gdbus fallback', () => {
    it('is used only when the native client cannot reach the bus, and the detail says why', async () => {
      // A TCP bus with ANONYMOUS auth: gdbus speaks it, the native client (unix sockets, EXTERNAL) does not.
      await withFakeDesktop({ tcp: true }, SERVICE_NAMES, async (tcpBus, fake) => {
        const tcp = tcpBus.tcpAddress;
        if (!tcp) throw new Error('dbus-daemon printed no tcp address');
        const src = new GnomeMutterIdleSource({ env: busEnv(tcp) });
        const runs = programRuns();
        const a = await src.available();
        expect(a.ok).toBe(true);
        if (a.ok) {
          expect(a.detail).toMatch(
            /^GetIdletime on the session bus via gdbus \(native D-Bus client: tcp:host=127\.0\.0\.1,port=\d+,family=ipv4: the tcp: transport is not supported by the native client\)$/,
          );
        }
        fake.state.mutterIdleMs = 4321;
        expect((await src.read()).idleSec).toBe(4.321);
        expect(programRuns() - runs).toBeGreaterThanOrEqual(2);
        await src.close();
      });
    });
  });

  it('IdleMonitor over real D-Bus: skips what does not work, says why, and reads the first that does', async () => {
    // Only logind and KDE's service exist, and KDE refuses (Plasma on Wayland).
    const names = ['org.freedesktop.ScreenSaver', 'org.freedesktop.login1'] as const;
    await withFakeDesktop({}, names, async (other, partial) => {
      const e = busEnv(other.address);
      const native = new NativeDbusClient({ env: e });
      const monitor = new IdleMonitor({
        sources: [
          new GnomeMutterIdleSource({ env: e, native }),
          new FreedesktopScreenSaverSource({ env: e, native }),
          new LogindIdleSource({ env: e, native }),
        ],
        inhibitors: new IdleInhibitorSource({ env: e, native }),
        idleThresholdSec: 60,
      });
      try {
        partial.state.kdeIdle = 'not-supported';
        partial.state.logind = {
          idleHint: true,
          idleSinceUs: 0,
          idleSinceMonotonicUs: monotonicUs() - 300_000_000,
          lockedHint: false,
        };
        const runs = programRuns();
        const r = await monitor.read(Date.now());
        expect(r.source).toBe('idle.logind');
        expect(r.state).toBe('idle');
        expect(r.idleSec).toBeGreaterThanOrEqual(300);
        expect(r.inhibitors).toEqual([]);
        const st = monitor.status();
        expect(st.id).toBe('idle.logind');
        expect(st.health).toBe('ok');
        expect(st.detail).toMatch(
          /^IdleHint of \/org\/freedesktop\/login1\/session\/auto over a native D-Bus connection/,
        );
        expect(st.detail).toMatch(/idle\.gnome-mutter: org\.gnome\.Mutter\.IdleMonitor is not on the session bus/);
        expect(st.detail).toMatch(
          /idle\.freedesktop-screensaver: org\.freedesktop\.ScreenSaver does not report idle time/,
        );
        for (let t = 1; t <= 10; t++) await monitor.read(Date.now());
        expect(programRuns() - runs).toBe(0);
        expect(native.stats.connects).toBe(2);
      } finally {
        await monitor.stop();
      }
      expect(native.connected('session')).toBe(false);
      expect(native.connected('system')).toBe(false);
    });
  });

  describe('a bus with nothing on it', () => {
    let bare: PrivateBus;
    beforeAll(async () => {
      bare = await PrivateBus.start();
    });
    afterAll(async () => {
      await bare?.stop();
    });

    it.each(transports)('every source names what is missing (%s)', async (transport) => {
      const env = busEnv(bare.address, transport === 'native' ? NO_PROGRAMS : undefined);
      const sources = [
        new GnomeMutterIdleSource({ env, transport }),
        new FreedesktopScreenSaverSource({ env, transport }),
        new LogindIdleSource({ env, transport }),
        new IdleInhibitorSource({ env, transport }),
      ];
      const reasons = await Promise.all(sources.map(async (s) => s.available()));
      expect(reasons).toEqual([
        { ok: false, reason: 'org.gnome.Mutter.IdleMonitor is not on the session bus (not a GNOME session)' },
        { ok: false, reason: 'org.freedesktop.ScreenSaver is not on the session bus' },
        { ok: false, reason: 'systemd-logind is not running (org.freedesktop.login1 is not on the system bus)' },
        {
          ok: false,
          reason: 'GNOME session manager is not on the session bus; systemd-logind is not on the system bus',
        },
      ]);
      await Promise.all(sources.map((s) => s.close()));
    });

    it.each(tools)('no bus at all is a reason too (%s)', async (tool) => {
      const none = busEnv('unix:path=/nonexistent/idlewatch-test-bus');
      const a = await new GnomeMutterIdleSource({ env: none, transport: tool }).available();
      expect(a.ok).toBe(false);
      if (!a.ok) expect(a.reason).toMatch(/^no D-Bus session bus \(/);
      const l = await new LogindIdleSource({ env: none, transport: tool }).available();
      expect(l.ok).toBe(false);
      if (!l.ok) expect(l.reason).toMatch(/^no D-Bus system bus \(/);
    });

    it('no bus at all, natively: the reason names the socket and no program is started to confirm it', async () => {
      const none = busEnv('unix:path=/nonexistent/idlewatch-test-bus');
      const runs = programRuns();
      expect(await new GnomeMutterIdleSource({ env: none }).available()).toEqual({
        ok: false,
        reason: 'no D-Bus session bus (cannot connect to /nonexistent/idlewatch-test-bus: no such socket)',
      });
      expect(await new LogindIdleSource({ env: none }).available()).toEqual({
        ok: false,
        reason: 'no D-Bus system bus (cannot connect to /nonexistent/idlewatch-test-bus: no such socket)',
      });
      expect(await new GnomeMutterIdleSource({ env: { PATH: process.env.PATH } }).available()).toEqual({
        ok: false,
        reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
      });
      expect(programRuns() - runs).toBe(0);
    });

    it('forced onto the programs without any installed, the reason says what to install', async () => {
      const a = await new GnomeMutterIdleSource({
        env: busEnv(bare.address, NO_PROGRAMS),
        transport: 'gdbus',
      }).available();
      expect(a).toEqual({ ok: false, reason: 'neither gdbus nor busctl is installed (apt install libglib2.0-bin)' });
    });
  });
});
