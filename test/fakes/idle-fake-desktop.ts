/**
 * The desktop services the D-Bus idle sources talk to, faked on a private bus with state a test
 * can change between reads: GNOME Mutter's idle monitor and lock screen, KDE's
 * org.freedesktop.ScreenSaver, logind's session and inhibitor list, GNOME's session manager.
 */
import { DbusErrorReply, FakeDbusService, PrivateBus, type PrivateBusOptions } from './idle-dbus-service.js';

export interface FakeGnomeInhibitor {
  appId: string;
  flags: number;
}

export interface FakeDesktopState {
  mutterIdleMs: number;
  gnomeLocked: boolean;
  /** What KDE's GetSessionIdleTime returns (ms), or 'not-supported' as Plasma on Wayland answers. */
  kdeIdle: number | 'not-supported';
  kdeLocked: boolean;
  logind: {
    idleHint: boolean;
    idleSinceUs: number;
    idleSinceMonotonicUs: number;
    lockedHint: boolean;
  };
  /** logind ListInhibitors rows: what, who, why, mode, uid, pid. */
  logindInhibitors: [string, string, string, string, number, number][];
  gnomeInhibitors: FakeGnomeInhibitor[];
}

export const SERVICE_NAMES = [
  'org.gnome.Mutter.IdleMonitor',
  'org.gnome.ScreenSaver',
  'org.freedesktop.ScreenSaver',
  'org.freedesktop.login1',
  'org.gnome.SessionManager',
] as const;

export type FakeServiceName = (typeof SERVICE_NAMES)[number];

export class FakeDesktop {
  readonly state: FakeDesktopState = {
    mutterIdleMs: 0,
    gnomeLocked: false,
    kdeIdle: 0,
    kdeLocked: false,
    logind: { idleHint: false, idleSinceUs: 0, idleSinceMonotonicUs: 0, lockedHint: false },
    logindInhibitors: [],
    gnomeInhibitors: [],
  };

  private constructor(readonly service: FakeDbusService) {}

  /** Connects to `bus` and owns the given names (default: all of them). */
  static async start(bus: PrivateBus, names: readonly FakeServiceName[] = SERVICE_NAMES): Promise<FakeDesktop> {
    const desktop = new FakeDesktop(await FakeDbusService.connect(bus.socketPath));
    desktop.exportAll();
    for (const n of names) await desktop.service.requestName(n);
    return desktop;
  }

  close(): void {
    this.service.close();
  }

  /** Re-creates GNOME's inhibitor objects from state.gnomeInhibitors. */
  syncGnomeInhibitors(): void {
    for (let i = 1; i <= 32; i++) this.service.unexport(`/org/gnome/SessionManager/Inhibitor${i}`);
    this.state.gnomeInhibitors.forEach((inh, i) => {
      this.service.export(`/org/gnome/SessionManager/Inhibitor${i + 1}`, 'org.gnome.SessionManager.Inhibitor', {
        methods: {
          GetAppId: { out: 's', call: () => [inh.appId] },
          GetFlags: { out: 'u', call: () => [inh.flags] },
          GetReason: { out: 's', call: () => ['Playing video'] },
        },
      });
    });
  }

  private exportAll(): void {
    const s = this.state;
    this.service.export('/org/gnome/Mutter/IdleMonitor/Core', 'org.gnome.Mutter.IdleMonitor', {
      methods: { GetIdletime: { out: 't', call: () => [BigInt(s.mutterIdleMs)] } },
    });
    this.service.export('/org/gnome/ScreenSaver', 'org.gnome.ScreenSaver', {
      methods: { GetActive: { out: 'b', call: () => [s.gnomeLocked] } },
    });
    this.service.export('/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver', {
      methods: {
        GetSessionIdleTime: {
          out: 'u',
          call: () => {
            if (s.kdeIdle === 'not-supported') {
              throw new DbusErrorReply(
                'org.freedesktop.DBus.Error.NotSupported',
                'GetSessionIdleTime is not supported on this platform',
              );
            }
            return [s.kdeIdle];
          },
        },
        GetActive: { out: 'b', call: () => [s.kdeLocked] },
      },
    });
    this.service.export('/org/freedesktop/login1/session/auto', 'org.freedesktop.login1.Session', {
      properties: {
        Id: { sig: 's', get: () => '2' },
        Type: { sig: 's', get: () => 'wayland' },
        IdleHint: { sig: 'b', get: () => s.logind.idleHint },
        IdleSinceHint: { sig: 't', get: () => BigInt(s.logind.idleSinceUs) },
        IdleSinceHintMonotonic: { sig: 't', get: () => BigInt(s.logind.idleSinceMonotonicUs) },
        LockedHint: { sig: 'b', get: () => s.logind.lockedHint },
      },
    });
    this.service.export('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', {
      methods: { ListInhibitors: { out: 'a(ssssuu)', call: () => [s.logindInhibitors] } },
    });
    this.service.export('/org/gnome/SessionManager', 'org.gnome.SessionManager', {
      methods: {
        GetInhibitors: {
          out: 'ao',
          call: () => [s.gnomeInhibitors.map((_, i) => `/org/gnome/SessionManager/Inhibitor${i + 1}`)],
        },
      },
      properties: {
        InhibitedActions: { sig: 'u', get: () => s.gnomeInhibitors.reduce((acc, inh) => acc | inh.flags, 0) },
      },
    });
  }
}

/**
 * Runs `fn` against a fresh private bus with a fake desktop on it (owning `names`); both are
 * stopped afterwards, also when the desktop fails to start or `fn` throws, so no dbus-daemon
 * outlives its test.
 */
export async function withFakeDesktop(
  busOpts: PrivateBusOptions,
  names: readonly FakeServiceName[],
  fn: (bus: PrivateBus, desktop: FakeDesktop) => Promise<void>,
): Promise<void> {
  const bus = await PrivateBus.start(busOpts);
  let desktop: FakeDesktop | undefined;
  try {
    desktop = await FakeDesktop.start(bus, names);
    await fn(bus, desktop);
  } finally {
    desktop?.close();
    await bus.stop();
  }
}
