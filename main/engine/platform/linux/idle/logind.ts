import type { Availability } from '../../collector.js';
import { DbusCaller, type DbusCallerOptions } from './dbus-caller.js';
import { DbusCallError, type DbusObject } from './dbus-types.js';
import type { GVariantValue } from './gvariant-text.js';
import type { IdleRead, IdleSource } from '../../idle.js';

const PROPERTIES = ['IdleHint', 'IdleSinceHint', 'IdleSinceHintMonotonic', 'LockedHint'] as const;

export interface LogindIdleSourceOptions extends DbusCallerOptions {
  /**
   * Session object. `auto` is logind's alias for the caller's session, or when the caller has
   * none (an app started by a user service), the user's graphical session.
   */
  sessionPath?: string;
  /** CLOCK_MONOTONIC in microseconds; Node's hrtime reads the same clock as logind on Linux. */
  monotonicUs?: () => number;
  /** CLOCK_REALTIME in microseconds, for logind versions without IdleSinceHintMonotonic. */
  realtimeUs?: () => number;
}

/** The values read, kept for parsing tests. */
export interface LogindIdleProps {
  idleHint: boolean;
  idleSinceUs: number;
  idleSinceMonotonicUs: number;
  lockedHint: boolean;
}

/**
 * systemd-logind's session IdleHint / LockedHint on the system bus. The desktop sets these hints
 * itself after its own idle delay (GNOME: 5 min by default), so this is the coarsest source and
 * the last resort: idleSec is exact once the session is idle, and 0 before.
 */
export class LogindIdleSource implements IdleSource {
  readonly id = 'idle.logind';
  readonly label = 'systemd-logind session idle hint (D-Bus)';
  private readonly bus: DbusCaller;
  private readonly session: DbusObject;
  private readonly monotonicUs: () => number;
  private readonly realtimeUs: () => number;

  constructor(opts: LogindIdleSourceOptions = {}) {
    this.bus = new DbusCaller(opts);
    this.session = {
      bus: 'system',
      dest: 'org.freedesktop.login1',
      path: opts.sessionPath ?? '/org/freedesktop/login1/session/auto',
      iface: 'org.freedesktop.login1.Session',
    };
    this.monotonicUs = opts.monotonicUs ?? (() => Number(process.hrtime.bigint() / 1000n));
    this.realtimeUs = opts.realtimeUs ?? (() => Date.now() * 1000);
  }

  async available(): Promise<Availability> {
    let props: LogindIdleProps;
    try {
      props = await this.props();
    } catch (e) {
      return { ok: false, reason: logindReason(e) };
    }
    const note = neverSetIdleHint(props)
      ? ' (the desktop has never set an idle hint in this session: idle time unknown until it does)'
      : " (coarse: idle only after the desktop's own idle delay)";
    return { ok: true, detail: `IdleHint of ${this.session.path} ${this.bus.via()}${note}` };
  }

  async read(): Promise<IdleRead> {
    return logindIdleRead(await this.props(), this.monotonicUs(), this.realtimeUs());
  }

  async close(): Promise<void> {
    this.bus.close();
  }

  private async props(): Promise<LogindIdleProps> {
    return parseLogindProps(await this.bus.getProperties(this.session, PROPERTIES));
  }
}

/** Checks types of the four properties; throws a bad-reply error when logind answers something else. */
export function parseLogindProps(raw: Record<string, GVariantValue>): LogindIdleProps {
  const bool = (k: string): boolean => {
    const v = raw[k];
    if (typeof v !== 'boolean')
      throw new DbusCallError('bad-reply', `logind ${k} is ${JSON.stringify(v)}, not a boolean`);
    return v;
  };
  const usec = (k: string): number => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new DbusCallError('bad-reply', `logind ${k} is ${JSON.stringify(v)}, not microseconds`);
    }
    return v;
  };
  return {
    idleHint: bool('IdleHint'),
    idleSinceUs: usec('IdleSinceHint'),
    idleSinceMonotonicUs: usec('IdleSinceHintMonotonic'),
    lockedHint: bool('LockedHint'),
  };
}

/**
 * Turns the hints into a reading. Both timestamps are zero until the desktop first changes the
 * hint, and a desktop that never maintains it leaves IdleHint false forever, so "false and never
 * set" is unknown rather than active.
 */
export function logindIdleRead(p: LogindIdleProps, nowMonotonicUs: number, nowRealtimeUs: number): IdleRead {
  if (!p.idleHint) {
    return neverSetIdleHint(p) ? { idleSec: null, locked: p.lockedHint } : { idleSec: 0, locked: p.lockedHint };
  }
  let sinceUs: number | null = null;
  if (p.idleSinceMonotonicUs > 0) sinceUs = nowMonotonicUs - p.idleSinceMonotonicUs;
  else if (p.idleSinceUs > 0) sinceUs = nowRealtimeUs - p.idleSinceUs;
  return { idleSec: sinceUs === null ? null : Math.max(0, sinceUs) / 1e6, locked: p.lockedHint };
}

function neverSetIdleHint(p: LogindIdleProps): boolean {
  return !p.idleHint && p.idleSinceUs === 0 && p.idleSinceMonotonicUs === 0;
}

function logindReason(e: unknown): string {
  if (!(e instanceof DbusCallError)) return `systemd-logind failed: ${String(e)}`;
  if (/NoSuchSession|NoSessionForPID|not belong to any known session|No session/i.test(`${e.dbusName} ${e.message}`)) {
    return `this process is not part of a logind session and the user has no graphical session (${e.message})`;
  }
  switch (e.failure) {
    case 'no-tool':
      return e.message;
    case 'no-bus':
      return `no D-Bus system bus (${e.message})`;
    case 'no-service':
      return 'systemd-logind is not running (org.freedesktop.login1 is not on the system bus)';
    case 'no-object':
      return `logind has no session object here (${e.message})`;
    default:
      return `systemd-logind did not answer: ${e.message}`;
  }
}
