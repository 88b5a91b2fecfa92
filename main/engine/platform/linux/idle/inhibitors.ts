import type { Availability } from '../../collector.js';
import { DbusCaller, type DbusCallerOptions } from './dbus-caller.js';
import { DbusCallError, type DbusObject } from './dbus-types.js';
import type { GVariantValue } from './gvariant-text.js';
import type { InhibitorSource } from '../../idle.js';

const GNOME_SESSION: DbusObject = {
  bus: 'session',
  dest: 'org.gnome.SessionManager',
  path: '/org/gnome/SessionManager',
  iface: 'org.gnome.SessionManager',
};
const GNOME_INHIBITOR_IFACE = 'org.gnome.SessionManager.Inhibitor';
/** GsmInhibitorFlag: 1 logout, 2 switch user, 4 suspend, 8 idle, 16 automount. */
const GNOME_INHIBIT_IDLE = 8;
/** A runaway app holding hundreds of inhibitors must not cost hundreds of calls a poll. */
const MAX_GNOME_INHIBITORS = 16;

const LOGIND_MANAGER: DbusObject = {
  bus: 'system',
  dest: 'org.freedesktop.login1',
  path: '/org/freedesktop/login1',
  iface: 'org.freedesktop.login1.Manager',
};

export type InhibitorRegistry = 'gnome' | 'logind';

export interface IdleInhibitorSourceOptions extends DbusCallerOptions {
  /** Registries to ask, in order. Default both: GNOME apps register with gnome-session, others with logind. */
  registries?: readonly InhibitorRegistry[];
}

/**
 * Applications holding an idle inhibitor (a video player, a presentation): the user may be
 * watching, not away, even though no input arrives. Names come from GNOME's session manager
 * (app ids) and from logind's inhibitor list ("who"), merged without duplicates.
 */
export class IdleInhibitorSource implements InhibitorSource {
  readonly id = 'idle.inhibitors';
  private readonly bus: DbusCaller;
  private readonly registries: readonly InhibitorRegistry[];
  /** Registries that answered the last probe; read() asks only these. Null until probed. */
  private working: InhibitorRegistry[] | null = null;

  constructor(opts: IdleInhibitorSourceOptions = {}) {
    this.bus = new DbusCaller(opts);
    this.registries = opts.registries ?? ['gnome', 'logind'];
  }

  async available(): Promise<Availability> {
    const reasons: string[] = [];
    const working: InhibitorRegistry[] = [];
    for (const reg of this.registries) {
      try {
        await this.list(reg);
        working.push(reg);
      } catch (e) {
        reasons.push(registryReason(reg, e));
      }
    }
    this.working = working;
    if (working.length === 0)
      return { ok: false, reason: [...new Set(reasons)].join('; ') || 'no inhibitor registry configured' };
    return { ok: true, detail: `idle inhibitors from ${working.map(registryLabel).join(' and ')} ${this.bus.via()}` };
  }

  async read(): Promise<string[]> {
    if (this.working === null) await this.available();
    const regs = this.working ?? [];
    if (regs.length === 0) throw new Error('no idle-inhibitor registry answers');
    const results = await Promise.allSettled(regs.map((r) => this.list(r)));
    const names = new Set<string>();
    let answered = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      answered++;
      for (const n of r.value) names.add(n);
    }
    if (answered === 0) {
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw first?.reason instanceof Error ? first.reason : new Error('idle-inhibitor registries failed');
    }
    return [...names].sort();
  }

  async close(): Promise<void> {
    this.bus.close();
  }

  private list(reg: InhibitorRegistry): Promise<string[]> {
    return reg === 'gnome' ? this.gnome() : this.logind();
  }

  private async gnome(): Promise<string[]> {
    // InhibitedActions is the OR of every inhibitor's flags: one call answers "none" in the usual case.
    try {
      const { InhibitedActions: actions } = await this.bus.getProperties(GNOME_SESSION, ['InhibitedActions']);
      if (typeof actions === 'number' && (actions & GNOME_INHIBIT_IDLE) === 0) return [];
    } catch (e) {
      // Older gnome-session lacks the property; the full listing below still works.
      if (!(e instanceof DbusCallError) || e.failure !== 'no-object') throw e;
    }
    const [paths] = await this.bus.call(GNOME_SESSION, 'GetInhibitors');
    const list = Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : [];
    const named = await Promise.all(
      list.slice(0, MAX_GNOME_INHIBITORS).map(async (path) => {
        const obj: DbusObject = { ...GNOME_SESSION, path, iface: GNOME_INHIBITOR_IFACE };
        try {
          const [[flags], [appId]] = await Promise.all([
            this.bus.call(obj, 'GetFlags'),
            this.bus.call(obj, 'GetAppId'),
          ]);
          return gnomeIdleInhibitorName(flags, appId);
        } catch (e) {
          // An inhibitor released between the listing and this call is simply gone.
          if (e instanceof DbusCallError && e.failure === 'no-object') return null;
          throw e;
        }
      }),
    );
    return named.filter((n): n is string => n !== null);
  }

  private async logind(): Promise<string[]> {
    const [list] = await this.bus.call(LOGIND_MANAGER, 'ListInhibitors');
    return logindIdleInhibitors(list);
  }
}

/** The app id of a GNOME inhibitor when its flags include idle, else null. */
export function gnomeIdleInhibitorName(
  flags: GVariantValue | undefined,
  appId: GVariantValue | undefined,
): string | null {
  if (typeof flags !== 'number' || (flags & GNOME_INHIBIT_IDLE) === 0) return null;
  return typeof appId === 'string' && appId.trim() !== '' ? appId.trim() : 'unnamed application';
}

/** Who holds an idle lock in logind's ListInhibitors a(ssssuu): (what, who, why, mode, uid, pid). */
export function logindIdleInhibitors(list: GVariantValue | undefined): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const entry of list) {
    if (!Array.isArray(entry)) continue;
    const [what, who] = entry;
    if (typeof what !== 'string' || !what.split(':').includes('idle')) continue;
    out.push(typeof who === 'string' && who.trim() !== '' ? who.trim() : 'unnamed application');
  }
  return out;
}

function registryLabel(reg: InhibitorRegistry): string {
  return reg === 'gnome' ? 'GNOME session manager' : 'systemd-logind';
}

function registryReason(reg: InhibitorRegistry, e: unknown): string {
  const label = registryLabel(reg);
  if (!(e instanceof DbusCallError)) return `${label}: ${String(e)}`;
  if (e.failure === 'no-tool') return e.message;
  if (e.failure === 'no-service') return `${label} is not on the ${reg === 'gnome' ? 'session' : 'system'} bus`;
  if (e.failure === 'no-bus') return `${label}: no D-Bus ${reg === 'gnome' ? 'session' : 'system'} bus (${e.message})`;
  return `${label} did not answer: ${e.message}`;
}
