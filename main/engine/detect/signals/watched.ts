/**
 * The hides-when-watched rule. Stealth miners look for the tools people open to find them (Task
 * Manager, Process Explorer, Process Hacker, perfmon, htop, Activity Monitor) and pause while one
 * runs, then resume once it is gone. Idlewatch also knows when its own window is open, which a
 * miner may watch for too. A load that falls to near zero within seconds of a watch starting,
 * stays down while it lasts and comes back soon after it ends is hiding from the observer: work a
 * person started does not care who looks at it.
 *
 * Pure: the detector feeds it the watch transitions and each armed channel's readings.
 */
import type { Platform } from '../../../../shared/trace.js';
import { baseName, plainName } from '../provenance.js';
import type { LoadKind } from './load.js';
import { kindName, seconds } from './text.js';

/** The load must be near zero within this long after the watch began (plus one sampling interval). */
export const HIDE_FALL_MS = 5_000;
/** ... and be back at work within this long after the watch ended (miners poll the process list). */
export const HIDE_RESUME_MS = 60_000;
/** Only a load busy this long before the watch began is armed: a burst ending then is chance. */
export const HIDE_MIN_RUN_MS = 20_000;
/** Near zero: at most this share of the level before the watch (and below the quiet threshold). */
export const HIDE_LOW_SHARE = 0.2;

/** A process-monitor tool, by its program name, and the folders it is installed in (null: anywhere). */
interface Tool {
  label: string;
  names: string[];
  /** Lower-case folder prefixes; null when the tool has no fixed install folder (Sysinternals). */
  dirs: string[] | null;
}

const UNIX_BIN = ['/usr/bin/', '/bin/', '/usr/local/bin/', '/snap/bin/', '/usr/sbin/', '/opt/homebrew/bin/'];

const TOOLS: Record<Platform, Tool[]> = {
  linux: [
    { label: 'top', names: ['top'], dirs: UNIX_BIN },
    { label: 'htop', names: ['htop'], dirs: UNIX_BIN },
    { label: 'btop', names: ['btop'], dirs: UNIX_BIN },
    { label: 'atop', names: ['atop'], dirs: UNIX_BIN },
    { label: 'GNOME System Monitor', names: ['gnome-system-monitor', 'gnome-system-mo'], dirs: UNIX_BIN },
    { label: 'KSysGuard', names: ['ksysguard'], dirs: UNIX_BIN },
    { label: 'Plasma System Monitor', names: ['plasma-systemmonitor', 'plasma-systemmo'], dirs: UNIX_BIN },
    // Flatpak installs run from the app's own deployed folder.
    { label: 'Mission Center', names: ['missioncenter', 'mission-center'], dirs: [...UNIX_BIN, '/app/bin/'] },
  ],
  win32: [
    { label: 'Task Manager', names: ['taskmgr'], dirs: ['c:\\windows\\system32\\', 'c:\\windows\\syswow64\\'] },
    { label: 'Resource Monitor', names: ['resmon'], dirs: ['c:\\windows\\system32\\'] },
    { label: 'Performance Monitor', names: ['perfmon'], dirs: ['c:\\windows\\system32\\'] },
    // Sysinternals tools are run from wherever they were unpacked.
    { label: 'Process Explorer', names: ['procexp', 'procexp64', 'procexp64a'], dirs: null },
    { label: 'Process Hacker', names: ['processhacker'], dirs: ['c:\\program files\\', 'c:\\program files (x86)\\'] },
    { label: 'System Informer', names: ['systeminformer'], dirs: ['c:\\program files\\', 'c:\\program files (x86)\\'] },
  ],
  darwin: [
    {
      label: 'Activity Monitor',
      names: ['activity monitor'],
      dirs: ['/system/applications/utilities/activity monitor.app/', '/applications/utilities/activity monitor.app/'],
    },
    { label: 'top', names: ['top'], dirs: ['/usr/bin/'] },
    { label: 'htop', names: ['htop'], dirs: UNIX_BIN },
    { label: 'btop', names: ['btop'], dirs: UNIX_BIN },
  ],
};

/**
 * The tool a process is, when it is a process monitor run from where that tool is installed; null
 * otherwise. A path is required when the recorder could read one: a `top` in a temp folder is not
 * the system's. When the path is unreadable (another user's process, an elevated Task Manager seen
 * without privilege) the name alone is taken: it only ever adds evidence against other programs.
 */
export function watchToolLabel(name: string, exe: string | null, platform: Platform): string | null {
  const n = plainName(name);
  const file = exe ? plainName(baseName(exe, platform)) : null;
  for (const tool of TOOLS[platform]) {
    if (!tool.names.includes(n) && (file === null || !tool.names.includes(file))) continue;
    if (exe === null || tool.dirs === null) return tool.label;
    const path = platform === 'win32' ? exe.toLowerCase().replace(/\//g, '\\') : exe.toLowerCase();
    if (tool.dirs.some((d) => path.startsWith(d))) return tool.label;
  }
  return null;
}

/** One armed check: a busy load when a watch began. */
export interface HideCheck {
  kind: LoadKind;
  /** Level of the load just before the watch began. */
  pre: number;
  /** Who watched: "Task Manager", "the Idlewatch window". */
  label: string;
  startT: number;
  fellAt: number | null;
  fellTo: number;
  /** When the watch ended (null while it lasts) and what ended it. */
  endT: number | null;
}

/** What a channel looks like when a watch begins (LoadChannel has these). */
export interface ChannelNow {
  busy: boolean;
  raw: number;
  level: number;
  runMs: number;
  thr: { on: number; off: number };
}

/** A check for a load that is working in earnest when the watch begins; null when there is none. */
export function armHide(kind: LoadKind, ch: ChannelNow, label: string, t: number): HideCheck | null {
  if (!ch.busy || ch.runMs < HIDE_MIN_RUN_MS || ch.level < ch.thr.on || ch.raw < Math.max(ch.thr.on, 0.5 * ch.level))
    return null;
  return { kind, pre: ch.level, label, startT: t, fellAt: null, fellTo: 0, endT: null };
}

export type HideStep = 'waiting' | 'hid' | 'dropped';

/**
 * One reading for an armed check. `watched`: a watch still lasts at `t`. `hid`: fell near zero in
 * time, stayed there while watched, and came back after; `dropped`: it kept going, came back while
 * still watched, or did not come back in time (it just ended).
 */
export function stepHide(
  h: HideCheck,
  raw: number,
  t: number,
  watched: boolean,
  off: number,
  intervalMs: number,
): HideStep {
  const low = Math.min(off, HIDE_LOW_SHARE * h.pre);
  if (h.fellAt === null) {
    if (raw <= low && t <= h.startT + HIDE_FALL_MS + intervalMs) {
      h.fellAt = t;
      h.fellTo = raw;
    } else if (t > h.startT + HIDE_FALL_MS + intervalMs) return 'dropped';
    if (!watched) h.endT ??= t;
    return 'waiting';
  }
  if (watched) {
    if (h.endT !== null) h.endT = null; // the window was opened again before it came back
    if (raw > low) return 'dropped';
    h.fellTo = Math.min(h.fellTo, raw);
    return 'waiting';
  }
  h.endT ??= t;
  if (raw >= Math.max(off, 0.5 * h.pre)) return 'hid';
  return t - h.endT > HIDE_RESUME_MS ? 'dropped' : 'waiting';
}

/** "CPU fell 40% to 0% within 2 s of htop opening and came back 4 s after it closed (2 times)". */
export function hideDetail(h: HideCheck, resumedAt: number, count: number): string {
  const fell = Math.max(1, Math.ceil(((h.fellAt ?? h.startT) - h.startT) / 1000));
  const back = seconds(Math.max(0, resumedAt - (h.endT ?? resumedAt)));
  const times = count > 1 ? ` (${count} times)` : '';
  return `${kindName(h.kind)} fell ${Math.round(h.pre)}% to ${Math.round(h.fellTo)}% within ${fell} s of ${h.label} opening and came back ${back} after it closed${times}: it hides from whoever looks`;
}
