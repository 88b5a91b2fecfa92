/**
 * Settings through the window against the real engine and real files: changes reach settings.json
 * and come back after a reload and an engine restart; a save that really fails (settings.json
 * replaced by a folder, which fails even as root) shows the engine's own message; a data file that
 * cannot be read is reported as the engine found it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { saveSettings } from '../main/engine/store/settings-file.js';
import { DEFAULT_SETTINGS, type Settings } from '../shared/settings.js';
import { type EngineWindow, openEngineWindow, SCREENSHOT_DIR, screenshotThemes } from './harness.js';

// One scenario, step after step: a failing step skips the rest.
test.describe.configure({ mode: 'serial' });

test.describe('settings', () => {
  // Made in beforeAll: the runner also loads this file to list the tests, and would leave it behind.
  let tmp = '';
  let dataDir = '';
  let settingsFile = '';
  let app: EngineWindow;
  let page: Page;

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
  const form = () => page.getByTestId('settings-page');
  const onDisk = () => JSON.parse(readFileSync(settingsFile, 'utf8')) as Settings & { version: number };

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-settings-'));
    dataDir = join(tmp, 'data');
    settingsFile = join(dataDir, 'settings.json');
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await saveSettings(dataDir, { ...DEFAULT_SETTINGS, idleThresholdSec: 10, samplingIntervalMs: 1000 });
    // A save cut short: the engine must move it aside and say so, not silently reset it.
    writeFileSync(join(dataDir, 'allowlist.json'), '{"version": 1, "entries": [');
    app = await openEngineWindow(browser, () => ({ dataDir }));
    page = app.win.page;
  });

  test.afterAll(async () => {
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.afterEach(() => {
    expect(app.win.pageErrors).toEqual([]);
  });

  test('a data file that cannot be read is reported as the engine found it, once', async () => {
    const problems = app.service.status().problems;
    const problem = problems.find((p) => p.file === join(dataDir, 'allowlist.json'));
    expect(problem?.movedTo).toMatch(/allowlist\.json\.corrupt-/);
    expect(readdirSync(dataDir)).toContain(problem!.movedTo!.split('/').pop());
    const notice = page.getByTestId('data-problems');
    await expect(notice).toContainText(problem!.problem);
    await expect(notice).toContainText(problem!.movedTo!);
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await expect(notice).toBeHidden();
    await page.reload();
    await expect(page.getByTestId('status-banner')).toBeVisible();
    await expect(notice).toBeHidden();
  });

  test('changes persist to settings.json and are shown after a reload and an engine restart', async () => {
    await nav('Settings').click();
    await expect(form()).toBeVisible();
    await form().getByLabel('Theme').selectOption({ label: 'System' });
    await expect(form().getByLabel('Idle threshold (seconds)')).toHaveValue('10');

    // Out of range: refused in the form, nothing sent, nothing written.
    await form().getByLabel('Idle threshold (seconds)').fill('5');
    await form().getByRole('button', { name: 'Save settings' }).click();
    await expect(form().getByText('Enter a whole number from 10 to 86400.')).toBeVisible();
    await expect(form().getByLabel('Idle threshold (seconds)')).toHaveAttribute('aria-invalid', 'true');
    expect(onDisk().idleThresholdSec).toBe(10);

    await form().getByLabel('Idle threshold (seconds)').fill('45');
    await form().getByLabel('Sensitivity').selectOption({ label: 'High' });
    await form().getByLabel('Notifications').uncheck();
    await form().getByLabel('Quiet while a fullscreen app runs').uncheck();
    await form().getByLabel('Launch at login').check();
    await form().getByLabel('Sampling interval (ms)').fill('2000');
    await form().getByLabel('History retention (days)').fill('7');
    await form().getByRole('button', { name: 'Save settings' }).click();
    await expect(form().getByTestId('settings-status')).toHaveText('Settings saved');

    const expected: Settings = {
      idleThresholdSec: 45,
      sensitivity: 'high',
      notifications: false,
      quietWhileFullscreen: false,
      notifyHighWhileFullscreen: false,
      launchAtLogin: true,
      samplingIntervalMs: 2000,
      historyRetentionDays: 7,
    };
    expect(onDisk()).toEqual({ version: 1, ...expected });
    expect(app.service.settings).toEqual(expected);
    // The new detection settings are in effect: the engine restarted its monitor with them.
    await expect.poll(() => app.service.current.engine.sampler.intervalMs).toBe(2000);
    await screenshotThemes(page, 'settings');

    const expectShown = async () => {
      await nav('Settings').click();
      await expect(form().getByLabel('Idle threshold (seconds)')).toHaveValue('45');
      await expect(form().getByLabel('Sensitivity')).toHaveValue('high');
      await expect(form().getByLabel('Notifications')).not.toBeChecked();
      await expect(form().getByLabel('Quiet while a fullscreen app runs')).not.toBeChecked();
      await expect(form().getByLabel('Launch at login')).toBeChecked();
      await expect(form().getByLabel('Sampling interval (ms)')).toHaveValue('2000');
      await expect(form().getByLabel('History retention (days)')).toHaveValue('7');
      await expect(form().getByLabel('Theme')).toHaveValue('system');
    };
    await page.reload();
    await expectShown();

    await app.restartEngine();
    page = app.win.page;
    await expectShown();
  });

  test("a save that fails shows the engine's message verbatim, and the next save works", async () => {
    await nav('Settings').click();
    // settings.json replaced by a folder: the atomic rename over it fails, even for root.
    rmSync(settingsFile);
    mkdirSync(settingsFile);
    await form().getByLabel('History retention (days)').fill('14');
    await form().getByRole('button', { name: 'Save settings' }).click();
    const alert = form().getByRole('alert');
    await expect(alert).toBeVisible();
    expect(app.win.engineErrors).toHaveLength(1);
    const message = app.win.engineErrors[0]!.message;
    expect(message).toMatch(/^could not save settings\.json: EISDIR\b.*; the previous version is unchanged$/);
    await expect(alert).toHaveText(message);
    await expect(form().getByTestId('settings-status')).toHaveText('');
    expect(app.service.settings.historyRetentionDays).toBe(7);

    rmSync(settingsFile, { recursive: true });
    await form().getByRole('button', { name: 'Save settings' }).click();
    await expect(form().getByTestId('settings-status')).toHaveText('Settings saved');
    await expect(alert).toBeHidden();
    expect(onDisk().historyRetentionDays).toBe(14);
  });
});
