import type { Availability } from '../../collector.js';
import { DbusCaller, type DbusCallerOptions } from './dbus-caller.js';
import { DbusCallError, type DbusObject } from './dbus-types.js';
import type { IdleRead, IdleSource } from '../../idle.js';

const SCREENSAVER: DbusObject = {
  bus: 'session',
  dest: 'org.freedesktop.ScreenSaver',
  path: '/org/freedesktop/ScreenSaver',
  iface: 'org.freedesktop.ScreenSaver',
};

export interface FreedesktopScreenSaverSourceOptions extends DbusCallerOptions {
  /**
   * Unit of GetSessionIdleTime. KDE's kscreenlocker returns KIdleTime's milliseconds, although
   * the old freedesktop draft said seconds; the seconds-era implementations (gnome-, mate-,
   * xfce4-screensaver) publish under their own names instead. Default 'ms'.
   */
  unit?: 'ms' | 's';
}

/**
 * `org.freedesktop.ScreenSaver` on the session bus: GetSessionIdleTime for idle time and
 * GetActive for the lock screen. This is KDE Plasma on X11; Plasma on Wayland answers
 * NotSupported, and GNOME's proxy of the same name only implements Inhibit.
 */
export class FreedesktopScreenSaverSource implements IdleSource {
  readonly id = 'idle.freedesktop-screensaver';
  readonly label = 'freedesktop ScreenSaver (KDE, D-Bus)';
  private readonly bus: DbusCaller;
  private readonly msPerUnit: number;
  private askLock = true;

  constructor(opts: FreedesktopScreenSaverSourceOptions = {}) {
    this.bus = new DbusCaller(opts);
    this.msPerUnit = opts.unit === 's' ? 1000 : 1;
  }

  async available(): Promise<Availability> {
    try {
      await this.idleSec();
    } catch (e) {
      return { ok: false, reason: screenSaverReason(e) };
    }
    this.askLock = true;
    return { ok: true, detail: `GetSessionIdleTime on the session bus ${this.bus.via()}` };
  }

  async read(): Promise<IdleRead> {
    const [idleSec, locked] = await Promise.all([this.idleSec(), this.askLock ? this.locked() : undefined]);
    return locked === undefined ? { idleSec } : { idleSec, locked };
  }

  async close(): Promise<void> {
    this.bus.close();
  }

  private async idleSec(): Promise<number> {
    const [n] = await this.bus.call(SCREENSAVER, 'GetSessionIdleTime');
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new DbusCallError('bad-reply', `GetSessionIdleTime returned ${JSON.stringify(n)}`);
    }
    return (n * this.msPerUnit) / 1000;
  }

  private async locked(): Promise<boolean | undefined> {
    try {
      const [active] = await this.bus.call(SCREENSAVER, 'GetActive');
      return typeof active === 'boolean' ? active : undefined;
    } catch (e) {
      if (e instanceof DbusCallError && (e.failure === 'no-object' || e.failure === 'not-supported')) {
        this.askLock = false;
      }
      return undefined;
    }
  }
}

function screenSaverReason(e: unknown): string {
  if (!(e instanceof DbusCallError)) return `org.freedesktop.ScreenSaver failed: ${String(e)}`;
  switch (e.failure) {
    case 'no-tool':
      return e.message;
    case 'no-bus':
      return `no D-Bus session bus (${e.message})`;
    case 'no-service':
      return 'org.freedesktop.ScreenSaver is not on the session bus';
    case 'not-supported':
      return `org.freedesktop.ScreenSaver does not report idle time here (KDE on Wayland refuses it): ${e.message}`;
    case 'no-object':
      return `org.freedesktop.ScreenSaver here has no GetSessionIdleTime (${e.message})`;
    default:
      return `org.freedesktop.ScreenSaver did not answer: ${e.message}`;
  }
}
