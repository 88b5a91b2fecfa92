/**
 * What the tray shows, as a pure function of the engine's state: the icon, the tooltip and the
 * context menu. No electron import, so it is unit-tested under Node; tray.ts turns the model into
 * Tray and Menu calls. Every action is in the context menu because Linux trays often ignore clicks
 * and tooltips.
 */
import type { SourceStatus } from '../../shared/engine-types.js';
import type { EngineStatus, EventContract, EventChannel, IncidentView } from '../../shared/ipc.js';
import type { Settings } from '../../shared/settings.js';
import type { UserState } from '../../shared/trace.js';
import { processKey } from '../../shared/identity.js';
import { safeText } from './sanitize.js';

export type TrayState = 'watching' | 'away' | 'alert' | 'paused' | 'degraded';
export const TRAY_STATES: readonly TrayState[] = ['watching', 'away', 'alert', 'paused', 'degraded'];

/** Windows cuts tray tooltips at 127 characters (with the terminating NUL). */
export const TOOLTIP_MAX = 126;

export interface OpenIncident {
  key: string;
  name: string;
  severity: 'medium' | 'high';
}

export interface TrayInputs {
  status: EngineStatus | null;
  /** The latest sample's user state; null before the first sample. */
  userState: UserState | null;
  sources: readonly SourceStatus[];
  /** Open medium/high incidents this run (names for the menu; the count comes from status.open). */
  incidents: readonly OpenIncident[];
  launchAtLogin: boolean;
  platform: NodeJS.Platform;
  /** Epoch ms. */
  now: number;
  /** Local clock time for "paused until"; default HH:MM of the local time zone. */
  formatTime?: (epochMs: number) => string;
}

export type TrayAction = 'open' | 'scan' | 'pause' | 'resume' | 'quit' | 'incident' | 'resume-process';

/** Paused processes listed in the menu, each with Resume; the rest are counted (the window lists all). */
export const TRAY_PAUSED_MAX = 5;

export type TrayMenuItem =
  | { type: 'label'; label: string }
  | { type: 'separator' }
  | { type: 'action'; action: TrayAction; label: string; incidentKey?: string; processKey?: string }
  | { type: 'checkbox'; id: 'launchAtLogin'; label: string; checked: boolean };

export interface TrayModel {
  state: TrayState;
  /** Relative to the assets folder. */
  iconFile: string;
  tooltip: string;
  /** macOS menu-bar title next to the icon ("!" while alerting), empty elsewhere. */
  title: string;
  menu: TrayMenuItem[];
}

/** Sources whose failure matters to detection (a GPU collector with no such GPU is normal). */
function critical(s: SourceStatus): boolean {
  if (s.health === 'degraded') return true;
  return s.health === 'unavailable' && /^(procs|cpu|idle|sampler)(\.|$)/.test(s.id);
}

function pausedHeading(n: number): string {
  return n === 1 ? 'Paused by Idlewatch: 1 process' : `Paused by Idlewatch: ${n} processes`;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** The icon for a state on a platform: a coloured PNG (Linux), an ICO (Windows), a template image (macOS). */
export function trayIconFile(state: TrayState, platform: NodeJS.Platform): string {
  if (platform === 'win32') return `tray/${state}.ico`;
  // Template images are drawn in the menu bar's own colour; the alert must stay red to be seen.
  if (platform === 'darwin') return state === 'alert' ? 'tray/alert-mac.png' : `tray/${state}Template.png`;
  return `tray/${state}.png`;
}

/** Every icon file the model can name, for the packaging test. */
export function allTrayIconFiles(): string[] {
  const files = new Set<string>();
  for (const p of ['linux', 'win32', 'darwin'] as const) for (const s of TRAY_STATES) files.add(trayIconFile(s, p));
  return [...files];
}

export function trayModel(i: TrayInputs): TrayModel {
  const fmt = i.formatTime ?? hhmm;
  const st = i.status;
  const openCount = st ? st.open.medium + st.open.high : i.incidents.length;
  const highCount = st ? st.open.high : i.incidents.filter((x) => x.severity === 'high').length;
  const paused = st?.pausedUntil != null && st.pausedUntil > i.now;
  const failing = i.sources.filter(critical);
  const engineError = st?.error ?? null;
  const away = i.userState === 'idle' || i.userState === 'locked';

  let state: TrayState;
  if (openCount > 0) state = 'alert';
  else if (paused) state = 'paused';
  else if (engineError || failing.length > 0) state = 'degraded';
  else if (away) state = 'away';
  else state = 'watching';

  const names = i.incidents.slice(0, 3).map((x) => safeText(x.name, 24));
  let headline: string;
  switch (state) {
    case 'alert': {
      const what = openCount === 1 ? '1 suspicious process' : `${openCount} suspicious processes`;
      headline = `Alert: ${what}${highCount > 0 ? ` (${highCount} high)` : ''}`;
      break;
    }
    case 'paused':
      headline = `Paused until ${fmt(st?.pausedUntil as number)}`;
      break;
    case 'degraded':
      headline = engineError
        ? `Not fully working: ${safeText(engineError, 80)}`
        : `Not fully working: ${failing.map((s) => safeText(s.label, 40)).join(', ')}`;
      break;
    case 'away':
      headline = i.userState === 'locked' ? 'Screen locked: watching closely' : 'You are away: watching closely';
      break;
    default:
      headline = i.userState === 'unknown' ? 'Watching (your presence is unknown)' : 'Watching';
  }

  let tooltip = `Idlewatch: ${headline}`;
  if (state === 'alert' && names.length > 0) tooltip += ` — ${names.join(', ')}`;
  tooltip = safeText(tooltip, TOOLTIP_MAX);

  const menu: TrayMenuItem[] = [{ type: 'label', label: safeText(headline, 100) }];
  if (state === 'alert') {
    for (const x of i.incidents.slice(0, 3)) {
      menu.push({
        type: 'action',
        action: 'incident',
        incidentKey: x.key,
        label: `Show ${safeText(x.name, 40)} (${x.severity})`,
      });
    }
  }
  // Which source failed, and why, in the menu itself (Linux trays often show no tooltip).
  if (engineError && state !== 'degraded') menu.push({ type: 'label', label: safeText(`⚠ ${engineError}`, 100) });
  for (const s of failing.slice(0, 4)) {
    menu.push({ type: 'label', label: safeText(`⚠ ${s.label}: ${s.detail}`, 100) });
  }
  // A pause must never be a trap: every process Idlewatch paused is one click from running again.
  const pausedProcs = st?.paused ?? [];
  if (pausedProcs.length > 0) {
    menu.push({ type: 'separator' }, { type: 'label', label: pausedHeading(pausedProcs.length) });
    for (const p of pausedProcs.slice(0, TRAY_PAUSED_MAX)) {
      menu.push({
        type: 'action',
        action: 'resume-process',
        processKey: processKey(p),
        label: `Resume ${safeText(p.name, 40)} (pid ${p.pid}${p.user ? `, ${safeText(p.user, 24)}` : ''})`,
      });
    }
    const more = pausedProcs.length - TRAY_PAUSED_MAX;
    if (more > 0) menu.push({ type: 'label', label: `…and ${more} more: open Idlewatch to resume them` });
  }
  menu.push(
    { type: 'separator' },
    { type: 'action', action: 'open', label: 'Open Idlewatch' },
    { type: 'action', action: 'scan', label: 'Run deep scan' },
    paused
      ? { type: 'action', action: 'resume', label: 'Resume monitoring' }
      : { type: 'action', action: 'pause', label: 'Pause for 1 hour' },
    { type: 'separator' },
    { type: 'checkbox', id: 'launchAtLogin', label: 'Launch at login', checked: i.launchAtLogin },
    { type: 'separator' },
    { type: 'action', action: 'quit', label: 'Quit Idlewatch' },
  );

  return {
    state,
    iconFile: trayIconFile(state, i.platform),
    tooltip,
    title: i.platform === 'darwin' && state === 'alert' ? '!' : '',
    menu,
  };
}

/**
 * What the shell knows of the engine, kept current from its events: the inputs of the tray model
 * (and of the launch-at-login setting).
 */
export class ShellState {
  status: EngineStatus | null = null;
  userState: UserState | null = null;
  sources: SourceStatus[] = [];
  settings: Settings | null = null;
  private readonly incidents = new Map<string, OpenIncident>();

  /** Applies one engine event. */
  apply<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    switch (channel) {
      case 'engine:status':
        this.status = payload as EngineStatus;
        break;
      case 'engine:sample': {
        const p = payload as EventContract['engine:sample'];
        this.userState = p.sample.user.state;
        this.sources = p.sources;
        break;
      }
      case 'incident:changed':
        this.applyIncident((payload as EventContract['incident:changed']).incident);
        break;
      case 'settings:changed':
        this.settings = payload as Settings;
        break;
    }
  }

  applyIncident(inc: IncidentView): void {
    const open = inc.live && !inc.reviewed && !inc.allowlisted && inc.severity !== 'low';
    if (open)
      this.incidents.set(inc.key, { key: inc.key, name: inc.name, severity: inc.severity as 'medium' | 'high' });
    else this.incidents.delete(inc.key);
  }

  /** Open incidents, high first, newest insertion last within a severity. */
  openIncidents(): OpenIncident[] {
    return [...this.incidents.values()].sort((a, b) =>
      a.severity === b.severity ? 0 : a.severity === 'high' ? -1 : 1,
    );
  }

  inputs(now: number, platform: NodeJS.Platform): TrayInputs {
    return {
      status: this.status,
      userState: this.userState,
      sources: this.sources,
      incidents: this.openIncidents(),
      launchAtLogin: this.settings?.launchAtLogin ?? false,
      platform,
      now,
    };
  }
}
