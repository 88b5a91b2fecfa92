/** User settings (settings.json) with their defaults and allowed ranges, shared with the renderer's form. */

export type Sensitivity = 'low' | 'normal' | 'high';

export const SENSITIVITIES: readonly Sensitivity[] = ['low', 'normal', 'high'];

export interface Settings {
  /** Seconds without input after which the user counts as away. */
  idleThresholdSec: number;
  /** How readily processes are flagged: `high` flags weaker evidence. */
  sensitivity: Sensitivity;
  notifications: boolean;
  /** No notifications while a fullscreen app (a game, a video) has the screen. */
  quietWhileFullscreen: boolean;
  /** While quiet for a fullscreen app, still show high-severity notifications at once. */
  notifyHighWhileFullscreen: boolean;
  launchAtLogin: boolean;
  samplingIntervalMs: number;
  /** Incident history older than this is pruned. */
  historyRetentionDays: number;
}

/** Inclusive whole-number ranges of the numeric settings. */
export const SETTINGS_RANGES = {
  idleThresholdSec: { min: 10, max: 86_400 },
  samplingIntervalMs: { min: 250, max: 60_000 },
  historyRetentionDays: { min: 1, max: 3650 },
} as const satisfies Partial<Record<keyof Settings, { min: number; max: number }>>;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  idleThresholdSec: 60,
  sensitivity: 'normal',
  notifications: true,
  quietWhileFullscreen: true,
  notifyHighWhileFullscreen: false,
  launchAtLogin: false,
  samplingIntervalMs: 1000,
  historyRetentionDays: 30,
});

/**
 * The block of mining domains in the system hosts file, as the Settings screen shows it. Not a
 * stored setting: the hosts file itself is the truth (on, off, or changed by someone else).
 */
export interface HostsBlockView {
  /** `altered`/`removed`: someone else changed or removed Idlewatch's block; `broken`: it cannot be read. */
  state: 'off' | 'on' | 'altered' | 'removed' | 'broken';
  hostsPath: string;
  /** Names the block sends nowhere now. */
  blocked: number;
  /** Names the lists would block; null when they could not be read. */
  listed: number | null;
  upToDate: boolean;
  /** One sentence for the user. */
  message: string;
  /** How a change would be written ("asks for administrator rights through pkexec"); ok false: it cannot be, and why. */
  writer: { ok: boolean; how: string };
}

/** What turning the block on or off did: refused/unavailable when administrator rights were not given. */
export interface HostsBlockChange {
  ok: boolean;
  changed: boolean;
  code?: 'refused' | 'unavailable' | 'invalid' | 'failed';
  message: string;
  status: HostsBlockView;
}
