/** The settings form's draft: its values as typed, their validation, and the patch to save. */
import { SETTINGS_RANGES, type Sensitivity, type Settings } from '../../../shared/settings.js';

export type NumericSetting = keyof typeof SETTINGS_RANGES;
export const NUMERIC_SETTINGS = Object.keys(SETTINGS_RANGES) as NumericSetting[];

export interface SettingsDraft {
  idleThresholdSec: string;
  sensitivity: Sensitivity;
  notifications: boolean;
  quietWhileFullscreen: boolean;
  notifyHighWhileFullscreen: boolean;
  launchAtLogin: boolean;
  samplingIntervalMs: string;
  historyRetentionDays: string;
}

export function toDraft(s: Settings): SettingsDraft {
  return {
    ...s,
    idleThresholdSec: String(s.idleThresholdSec),
    samplingIntervalMs: String(s.samplingIntervalMs),
    historyRetentionDays: String(s.historyRetentionDays),
  };
}

export function rangeMessage(key: NumericSetting): string {
  const r = SETTINGS_RANGES[key];
  return `Enter a whole number from ${r.min} to ${r.max}.`;
}

/** An inline message per invalid field (none when the draft can be saved). */
export function validateDraft(d: SettingsDraft): Partial<Record<NumericSetting, string>> {
  const errors: Partial<Record<NumericSetting, string>> = {};
  for (const key of NUMERIC_SETTINGS) {
    const text = d[key].trim();
    const n = Number(text);
    const r = SETTINGS_RANGES[key];
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < r.min || n > r.max) errors[key] = rangeMessage(key);
  }
  return errors;
}

/** Only the fields that differ from what is stored (call on a valid draft). */
export function draftPatch(d: SettingsDraft, saved: Settings): Partial<Settings> {
  const next: Settings = {
    idleThresholdSec: Number(d.idleThresholdSec.trim()),
    sensitivity: d.sensitivity,
    notifications: d.notifications,
    quietWhileFullscreen: d.quietWhileFullscreen,
    notifyHighWhileFullscreen: d.notifyHighWhileFullscreen,
    launchAtLogin: d.launchAtLogin,
    samplingIntervalMs: Number(d.samplingIntervalMs.trim()),
    historyRetentionDays: Number(d.historyRetentionDays.trim()),
  };
  const patch: Partial<Record<keyof Settings, unknown>> = {};
  for (const key of Object.keys(next) as (keyof Settings)[]) {
    if (next[key] !== saved[key]) patch[key] = next[key];
  }
  return patch as Partial<Settings>;
}
