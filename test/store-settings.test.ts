import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, SETTINGS_FILE, saveSettings, validateSettings } from '../main/engine/store/settings-file.js';
import { ValidationError } from '../main/engine/store/validate.js';
import { DEFAULT_SETTINGS, type Settings } from '../shared/settings.js';
import { tempDir } from './helpers/store-fixtures.js';

const AT = Date.parse('2025-03-04T05:06:07.089Z');
const STAMP = '20250304T050607089Z';

describe('settings.json', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('iw-settings-'));
    file = join(dir, SETTINGS_FILE);
  });
  afterEach(() => cleanup());

  const mine: Settings = {
    idleThresholdSec: 300,
    sensitivity: 'high',
    notifications: false,
    quietWhileFullscreen: false,
    notifyHighWhileFullscreen: true,
    launchAtLogin: true,
    samplingIntervalMs: 2000,
    historyRetentionDays: 90,
  };

  it('no file yet: defaults and no problem', async () => {
    expect(await loadSettings(dir)).toEqual({ value: DEFAULT_SETTINGS, problems: [] });
  });

  it('saves with a version field and reads back what was saved', async () => {
    await saveSettings(dir, mine);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, ...mine });
    expect(await loadSettings(dir)).toEqual({ value: mine, problems: [] });
    expect(readdirSync(dir)).toEqual([SETTINGS_FILE]);
  });

  /** Loads a bad file and checks: defaults used, file moved aside intact, one problem naming it. */
  async function expectMovedAside(content: string, problem: RegExp): Promise<void> {
    writeFileSync(file, content);
    const loaded = await loadSettings(dir, () => AT);
    expect(loaded.value).toEqual(DEFAULT_SETTINGS);
    const aside = `${file}.corrupt-${STAMP}`;
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatchObject({ file, movedTo: aside });
    expect(loaded.problems[0]?.problem).toMatch(problem);
    expect(loaded.problems[0]?.problem).toContain(`kept as settings.json.corrupt-${STAMP} and defaults are used`);
    expect(readFileSync(aside, 'utf8')).toBe(content);
    expect(readdirSync(dir)).toEqual([`settings.json.corrupt-${STAMP}`]);
  }

  it('bad JSON is moved aside, reported, and defaults are used', async () => {
    await expectMovedAside('{ "version": 1, idleThresholdSec: 60 }', /^the file is not valid JSON/);
  });

  it('a truncated file (a save cut short) is moved aside as truncated', async () => {
    const whole = `${JSON.stringify({ version: 1, ...mine }, null, 2)}\n`;
    await expectMovedAside(whole.slice(0, whole.length / 2), /^the file is truncated/);
  });

  it('an empty file is moved aside', async () => {
    await expectMovedAside('', /^the file is empty/);
  });

  it('wrong types: every bad field is named with what was found', async () => {
    const bad = {
      version: 1,
      idleThresholdSec: 'sixty',
      sensitivity: 'extreme',
      notifications: 1,
      samplingIntervalMs: 5,
    };
    await expectMovedAside(
      JSON.stringify(bad),
      /settings\.idleThresholdSec must be a whole number from 10 to 86400, got "sixty"/,
    );
    const { problems } = await loadSettings(dir); // the file is gone now: defaults, no problem
    expect(problems).toEqual([]);
    writeFileSync(file, JSON.stringify(bad));
    const again = await loadSettings(dir, () => AT + 1);
    const text = again.problems[0]?.problem ?? '';
    expect(text).toContain('settings.sensitivity must be one of low, normal, high, got "extreme"');
    expect(text).toContain('settings.notifications must be true or false, got 1');
    expect(text).toContain('settings.samplingIntervalMs must be a whole number from 250 to 60000, got 5');
  });

  it('a file from a newer Idlewatch is moved aside, not misread', async () => {
    await expectMovedAside(
      JSON.stringify({ version: 2, ...mine, newThing: true }),
      /^the file was written by a newer Idlewatch \(file version 2; this version reads up to 1\)/,
    );
  });

  it('a file without a version, or not an object, is moved aside', async () => {
    await expectMovedAside(JSON.stringify(mine), /no valid "version" field/);
    cleanup();
    ({ dir, cleanup } = tempDir('iw-settings-'));
    file = join(dir, SETTINGS_FILE);
    await expectMovedAside('[1,2]', /not a JSON object/);
  });

  it('two bad files in the same millisecond are both kept', async () => {
    writeFileSync(file, 'first');
    await loadSettings(dir, () => AT);
    writeFileSync(file, 'second');
    const second = await loadSettings(dir, () => AT);
    expect(second.problems[0]?.movedTo).toBe(`${file}.corrupt-${STAMP}-2`);
    expect(readFileSync(`${file}.corrupt-${STAMP}`, 'utf8')).toBe('first');
    expect(readFileSync(`${file}.corrupt-${STAMP}-2`, 'utf8')).toBe('second');
  });

  it('fields missing from a current-version file take their defaults (settings added later)', async () => {
    writeFileSync(file, JSON.stringify({ version: 1, idleThresholdSec: 120 }));
    expect(await loadSettings(dir)).toEqual({ value: { ...DEFAULT_SETTINGS, idleThresholdSec: 120 }, problems: [] });
  });

  it('an unreadable file is reported and left where it is', async () => {
    mkdirSync(file);
    const loaded = await loadSettings(dir);
    expect(loaded.value).toEqual(DEFAULT_SETTINGS);
    expect(loaded.problems).toEqual([
      { file, problem: 'could not be read (EISDIR); defaults are used', movedTo: null },
    ]);
  });

  it('refuses to save invalid settings, naming the field, and keeps the file', async () => {
    await saveSettings(dir, mine);
    const before = readFileSync(file, 'utf8');
    const bad = { ...mine, historyRetentionDays: 0 };
    await expect(saveSettings(dir, bad)).rejects.toThrow(ValidationError);
    await expect(saveSettings(dir, bad)).rejects.toThrow(
      /settings\.historyRetentionDays must be a whole number from 1 to 3650, got 0/,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('saving into a data folder that does not exist yet creates it', async () => {
    const nested = join(dir, 'new', 'idlewatch');
    await saveSettings(nested, mine);
    expect((await loadSettings(nested)).value).toEqual(mine);
  });

  it('temp files left by a crashed save are removed; those of a running writer are not', async () => {
    // A pid that is surely not running: above any pid_max.
    const stale = `.${SETTINGS_FILE}.2147483647.0badcafe.tmp`;
    const live = `.${SETTINGS_FILE}.${process.pid}.0badcafe.tmp`;
    writeFileSync(join(dir, stale), '{"version":1');
    writeFileSync(join(dir, live), '{"version":1');
    await loadSettings(dir);
    expect(readdirSync(dir)).toEqual([live]);
  });

  it('validateSettings rejects non-objects', () => {
    expect(validateSettings(null)).toEqual({ ok: false, errors: ['settings must be a JSON object'] });
  });
});
