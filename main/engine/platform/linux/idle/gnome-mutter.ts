import type { Availability } from '../../collector.js';
import { DbusCaller, type DbusCallerOptions } from './dbus-caller.js';
import { DbusCallError, type DbusObject } from './dbus-types.js';
import type { IdleRead, IdleSource } from '../../idle.js';

const IDLE_MONITOR: DbusObject = {
  bus: 'session',
  dest: 'org.gnome.Mutter.IdleMonitor',
  path: '/org/gnome/Mutter/IdleMonitor/Core',
  iface: 'org.gnome.Mutter.IdleMonitor',
};

/** GNOME Shell's lock screen; Mutter's idle monitor cannot tell a locked screen from an idle one. */
const GNOME_SCREENSAVER: DbusObject = {
  bus: 'session',
  dest: 'org.gnome.ScreenSaver',
  path: '/org/gnome/ScreenSaver',
  iface: 'org.gnome.ScreenSaver',
};

export type GnomeMutterIdleSourceOptions = DbusCallerOptions;

/**
 * GNOME's compositor idle time (`org.gnome.Mutter.IdleMonitor.GetIdletime`, milliseconds since
 * the last input). Works on GNOME under both Wayland and X11, which is why it is tried first:
 * on GNOME Wayland nothing else sees input from native Wayland apps.
 */
export class GnomeMutterIdleSource implements IdleSource {
  readonly id = 'idle.gnome-mutter';
  readonly label = 'GNOME Mutter idle monitor (D-Bus)';
  private readonly bus: DbusCaller;
  /** Cleared when org.gnome.ScreenSaver is missing, so a read costs one call, not two. */
  private askLock = true;

  constructor(opts: GnomeMutterIdleSourceOptions = {}) {
    this.bus = new DbusCaller(opts);
  }

  async available(): Promise<Availability> {
    try {
      await this.idleMs();
    } catch (e) {
      return { ok: false, reason: mutterReason(e) };
    }
    this.askLock = true;
    return { ok: true, detail: `GetIdletime on the session bus ${this.bus.via()}` };
  }

  async read(): Promise<IdleRead> {
    const [ms, locked] = await Promise.all([this.idleMs(), this.askLock ? this.locked() : undefined]);
    return locked === undefined ? { idleSec: ms / 1000 } : { idleSec: ms / 1000, locked };
  }

  async close(): Promise<void> {
    this.bus.close();
  }

  private async idleMs(): Promise<number> {
    const [ms] = await this.bus.call(IDLE_MONITOR, 'GetIdletime');
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new DbusCallError('bad-reply', `GetIdletime returned ${JSON.stringify(ms)}, not milliseconds`);
    }
    return ms;
  }

  private async locked(): Promise<boolean | undefined> {
    try {
      const [active] = await this.bus.call(GNOME_SCREENSAVER, 'GetActive');
      return typeof active === 'boolean' ? active : undefined;
    } catch (e) {
      if (e instanceof DbusCallError && (e.failure === 'no-service' || e.failure === 'no-object')) this.askLock = false;
      return undefined;
    }
  }
}

function mutterReason(e: unknown): string {
  if (!(e instanceof DbusCallError)) return `GNOME Mutter idle monitor failed: ${String(e)}`;
  switch (e.failure) {
    case 'no-tool':
      return e.message;
    case 'no-bus':
      return `no D-Bus session bus (${e.message})`;
    case 'no-service':
      return 'org.gnome.Mutter.IdleMonitor is not on the session bus (not a GNOME session)';
    case 'no-object':
      return `this GNOME Shell has no idle monitor at ${IDLE_MONITOR.path} (${e.message})`;
    case 'denied':
      return `GNOME refused the idle-time query (${e.message})`;
    default:
      return `GNOME Mutter idle monitor did not answer: ${e.message}`;
  }
}
