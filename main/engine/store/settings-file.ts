import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, SENSITIVITIES, SETTINGS_RANGES, type Settings } from '../../../shared/settings.js';
import type { AtomicWriteFs } from './atomic-write.js';
import { FieldReader, isRecord, type Validation, ValidationError } from './validate.js';
import { checkDocument, type Loaded, loadVersionedJson, saveVersionedJson } from './versioned-json.js';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_VERSION = 1;

/**
 * Checks a settings object field by field. Fields missing from a file of the current version take
 * their defaults (settings added later); a present field of the wrong type or out of range is an error.
 */
export function validateSettings(v: unknown): Validation<Settings> {
  if (!isRecord(v)) return { ok: false, errors: ['settings must be a JSON object'] };
  const f = new FieldReader(v, 'settings');
  const d = DEFAULT_SETTINGS;
  const settings: Settings = {
    idleThresholdSec: f.int('idleThresholdSec', SETTINGS_RANGES.idleThresholdSec, d.idleThresholdSec),
    sensitivity: f.oneOf('sensitivity', SENSITIVITIES, d.sensitivity),
    notifications: f.bool('notifications', d.notifications),
    quietWhileFullscreen: f.bool('quietWhileFullscreen', d.quietWhileFullscreen),
    notifyHighWhileFullscreen: f.bool('notifyHighWhileFullscreen', d.notifyHighWhileFullscreen),
    launchAtLogin: f.bool('launchAtLogin', d.launchAtLogin),
    samplingIntervalMs: f.int('samplingIntervalMs', SETTINGS_RANGES.samplingIntervalMs, d.samplingIntervalMs),
    historyRetentionDays: f.int('historyRetentionDays', SETTINGS_RANGES.historyRetentionDays, d.historyRetentionDays),
  };
  return f.result(settings);
}

/** Reads `settings.json` from the data folder; problems say what was wrong and where the bad file went. */
export function loadSettings(dataDir: string, now?: () => number): Promise<Loaded<Settings>> {
  return loadVersionedJson(
    join(dataDir, SETTINGS_FILE),
    { version: SETTINGS_VERSION, validate: validateSettings, defaults: () => ({ ...DEFAULT_SETTINGS }) },
    now,
  );
}

/**
 * Reads `settings.json` again for a running engine (the daemon's SIGHUP). Unlike loadSettings, a bad
 * file is left where it is and reported, so the caller keeps the settings it runs with while the
 * user fixes the file. A missing file means the defaults.
 */
export async function rereadSettings(
  dataDir: string,
): Promise<{ ok: true; value: Settings } | { ok: false; error: string }> {
  const path = join(dataDir, SETTINGS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: true, value: { ...DEFAULT_SETTINGS } };
    return { ok: false, error: `${path}: could not be read (${code ?? (e as Error).message})` };
  }
  const checked = checkDocument(text, {
    version: SETTINGS_VERSION,
    validate: validateSettings,
    defaults: () => ({ ...DEFAULT_SETTINGS }),
  });
  return checked.ok ? checked : { ok: false, error: `${path}: ${checked.error}` };
}

/**
 * Saves settings atomically. Invalid settings throw a ValidationError naming the fields, and a
 * failed write a StoreWriteError; either way the file on disk is left as it was.
 */
export async function saveSettings(dataDir: string, settings: Settings, fs?: AtomicWriteFs): Promise<void> {
  const v = validateSettings(settings);
  if (!v.ok) throw new ValidationError('settings', v.errors);
  await saveVersionedJson(join(dataDir, SETTINGS_FILE), SETTINGS_VERSION, { ...v.value }, fs);
}
