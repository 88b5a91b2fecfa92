/**
 * Every screen of the window, its dialogs and its toasts, checked with axe-core (WCAG 2.1 A and AA
 * plus best practice) in the dark and the light theme; a serious or critical violation fails.
 * The window runs on the real engine with a real miner (see window.spec.ts), so the tables, the
 * findings and the dialogs carry what a user would see, not an empty shell. Keyboard checks ride
 * along where axe cannot judge: reaching a toast without stealing focus, and getting back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import type { EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { saveSettings } from '../main/engine/store/settings-file.js';
import { THEME_KEY } from '../renderer/src/lib/theme.js';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import { AxeAudit } from './fixtures/axe.js';
import { killAndWait, type Miner, ScriptedUser, spawnMiner } from './fixtures/miner.js';
import { type EngineWindow, openEngineWindow, serveRenderer } from './harness.js';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// One window through every state, step after step: a failing step skips the rest.
test.describe.configure({ mode: 'serial' });

test.describe('accessibility of every screen, dialog and toast, dark and light', () => {
  // Made in beforeAll: the runner also loads this file to list the tests, and would leave it behind.
  let tmp = '';
  let dataDir = '';
  let scanRoot = '';
  const user = new ScriptedUser();
  const axe = new AxeAudit();
  let app: EngineWindow;
  let miner: Miner;
  let page: Page;

  const serviceOptions = (): EngineServiceOptions => ({
    dataDir,
    idleSources: [user.source],
    // The file checks read a folder of ours (a crontab that starts a miner: a "Remove line" to
    // confirm); processes are this machine's. The hidden-process probe is given far more pids
    // than it can try, so it runs for its whole budget: time enough to check the progress bar.
    scanOptions: { root: scanRoot, hiddenProbe: { maxPid: 4_194_304, budgetMs: 15_000 } },
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
  const awayRow = (): Locator =>
    page
      .getByRole('table', { name: 'Used while you were away' })
      .getByRole('row')
      .filter({ has: page.getByText(`pid ${miner.pid}`, { exact: true }) });
  const toasts = () => page.getByTestId('toast');
  const dismissAll = async () => {
    const dismiss = toasts().getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  };

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-a11y-'));
    dataDir = join(tmp, 'data');
    scanRoot = join(tmp, 'root');
    await saveSettings(dataDir, { ...DEFAULT_SETTINGS, idleThresholdSec: 10, samplingIntervalMs: 1000 });
    // A data file cut short: the window shows a notice about it, one more state to check.
    writeFileSync(join(dataDir, 'allowlist.json'), '{"version": 1, "entries": [');
    const crontab = join(scanRoot, 'etc', 'crontab');
    mkdirSync(dirname(crontab), { recursive: true });
    writeFileSync(crontab, '*/5 * * * * root /tmp/.x/kworker -o pool.supportxmr.com:3333 >/dev/null 2>&1\n');
    app = await openEngineWindow(browser, serviceOptions);
    page = app.win.page;
    // Away from the start; the miner burns at once, so it is flagged within a minute.
    miner = spawnMiner(tmp, { waitSec: 0 });
    user.leave();
    miner.setAway(true);
  });

  test.afterAll(async () => {
    if (miner) await killAndWait(miner.child);
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.afterEach(() => {
    expect(app.win.pageErrors).toEqual([]);
  });

  test('a window with no engine behind it', async ({ browser }) => {
    const server = await serveRenderer();
    const context = await browser.newContext({ colorScheme: 'dark' });
    try {
      // Theme System, so that the check can switch it through the colour scheme.
      await context.addInitScript((key) => localStorage.setItem(key, 'system'), THEME_KEY);
      const bare = await context.newPage();
      await bare.goto(server.url);
      await expect(bare.getByTestId('not-connected')).toBeVisible();
      await axe.check(bare, 'not connected');
    } finally {
      await context.close();
      await server.close();
    }
  });

  test('Settings, with the theme following the system, and with a field in error', async () => {
    await nav('Settings').click();
    const form = page.getByTestId('settings-page');
    await form.getByLabel('Theme').selectOption({ label: 'System' });
    await axe.check(page, 'settings');
    await form.getByLabel('Idle threshold (seconds)').fill('5');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect(form.getByLabel('Idle threshold (seconds)')).toHaveAttribute('aria-invalid', 'true');
    await axe.check(page, 'settings, a field in error');
    // Drops the unsaved, invalid form.
    await page.reload();
  });

  test('Overview, with a data-file notice and then with a flagged process', async () => {
    test.setTimeout(150_000);
    await nav('Overview').click();
    await expect(page.getByTestId('data-problems')).toBeVisible();
    await axe.check(page, 'overview, data-file notice');
    await page.getByTestId('data-problems').getByRole('button', { name: 'Dismiss' }).click();

    await expect(awayRow().getByRole('button', { name: 'Kill', exact: true })).toBeVisible({ timeout: 120_000 });
    // Each action says which process it acts on.
    for (const name of ['Kill', 'Pause', 'Allowlist', 'Details']) {
      await expect(awayRow().getByRole('button', { name, exact: true })).toHaveAccessibleDescription(
        `${miner.name} pid ${miner.pid}`,
      );
    }
    await axe.check(page, 'overview, a flagged process');
    // Flagged for good: the user comes back and the miner goes quiet, leaving the CPU to the checks.
    user.comeBack();
    miner.setAway(false);
  });

  test('the dialogs opened from a process: details, kill, allowlist', async () => {
    await awayRow().getByRole('button', { name: 'Details', exact: true }).click();
    const details = page.getByRole('dialog', { name: 'Process details' });
    await expect(details.getByRole('heading', { name: miner.name, exact: true })).toBeVisible();
    await axe.check(page, 'process details');
    await details.getByRole('button', { name: 'Close' }).click();
    await expect(details).toBeHidden();

    await awayRow().getByRole('button', { name: 'Kill', exact: true }).click();
    const kill = page.getByRole('dialog', { name: 'Kill process' });
    await expect(kill).toBeVisible();
    await axe.check(page, 'kill confirmation');
    await page.keyboard.press('Escape');
    await expect(kill).toBeHidden();
    await expect(awayRow().getByRole('button', { name: 'Kill', exact: true })).toBeFocused();

    await awayRow().getByRole('button', { name: 'Allowlist', exact: true }).click();
    const allow = page.getByRole('dialog', { name: 'Add to allowlist' });
    await expect(allow).toBeVisible();
    await axe.check(page, 'add to allowlist');
    await allow.getByRole('button', { name: 'Cancel' }).click();
    await expect(allow).toBeHidden();
  });

  test('a toast: announced politely, reachable at once with F8 without stealing focus, and focus comes back', async () => {
    const pause = awayRow().getByRole('button', { name: 'Pause', exact: true });
    await pause.focus();
    await page.keyboard.press('Enter');
    const status = toasts().getByRole('status');
    await expect(status).toContainText(`process ${miner.pid} (${miner.name}) is paused`);
    // The toast is announced, not focused: the user stays on the button they pressed.
    const resume = awayRow().getByRole('button', { name: 'Resume', exact: true });
    await expect(resume).toBeFocused();
    await axe.check(page, 'a toast');
    // A list of toasts inside the live region (a role on the list itself would unmake the list).
    await expect(status.getByRole('list').getByRole('listitem')).toHaveCount(1);

    const dismiss = status.getByRole('button', { name: 'Dismiss' });
    await expect(dismiss).toHaveAccessibleDescription(/is paused/);
    await page.keyboard.press('F8');
    await expect(dismiss).toBeFocused();
    // Escape goes back without dismissing.
    await page.keyboard.press('Escape');
    await expect(resume).toBeFocused();
    await expect(dismiss).toBeVisible();
    await page.keyboard.press('F8');
    await page.keyboard.press('Enter');
    await expect(status.getByRole('listitem')).toHaveCount(0);
    await expect(resume).toBeFocused();

    await page.keyboard.press('Enter');
    await expect(status).toContainText(`process ${miner.pid} (${miner.name}) is running again`);
    await dismissAll();
  });

  test('a toast raised from the details drawer is announced and reachable inside it', async () => {
    await awayRow().getByRole('button', { name: 'Details', exact: true }).click();
    const details = page.getByRole('dialog', { name: 'Process details' });
    const pause = details.getByRole('button', { name: 'Pause', exact: true });
    await pause.click();
    // Outside the modal drawer the toast would be inert: hidden from screen readers, out of reach.
    const status = details.getByTestId('toast').getByRole('status');
    await expect(status).toContainText(`process ${miner.pid} (${miner.name}) is paused`);
    await axe.check(page, 'a toast over the details drawer');
    const resume = details.getByRole('button', { name: 'Resume', exact: true });
    await expect(resume).toBeFocused();
    await page.keyboard.press('F8');
    await expect(status.getByRole('button', { name: 'Dismiss' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(resume).toBeFocused();
    // Escape in the toasts went back to the drawer; it did not close it.
    await expect(details).toBeVisible();
    await resume.click();
    await expect(status).toContainText('is running again');
    await details.getByRole('button', { name: 'Close' }).click();
    await expect(details).toBeHidden();
    // The toasts are back in the window, not lost with the drawer.
    await expect(toasts().getByRole('status')).toContainText('is running again');
    await dismissAll();
  });

  test('Incidents', async () => {
    await nav('Incidents').click();
    const row = page
      .getByTestId('incident-list')
      .getByRole('row')
      .filter({ hasText: `pid ${miner.pid}` });
    await expect(row).toHaveCount(1);
    await expect(row.getByRole('button', { name: 'Mark reviewed' })).toHaveAccessibleDescription(
      `${miner.name} pid ${miner.pid}`,
    );
    await axe.check(page, 'incidents');
  });

  test('Deep scan: before, during, cancelled, and its findings with their dialogs', async () => {
    test.setTimeout(120_000);
    await nav('Deep scan').click();
    const screen = page.getByTestId('scan-page');
    await expect(screen.getByText('No scan has run yet.')).toBeVisible();
    await axe.check(page, 'deep scan, never run');

    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    const progress = screen.getByRole('progressbar', { name: 'Scan progress' });
    await expect(progress).toBeVisible();
    await axe.check(page, 'deep scan, running');
    // The check above saw the running scan, not its end.
    await expect(progress).toBeVisible();
    await screen.getByRole('button', { name: 'Cancel' }).click();
    await expect(screen.getByTestId('scan-error')).toBeVisible();
    await axe.check(page, 'deep scan, cancelled');

    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    await expect(screen.getByTestId('scan-summary')).toBeVisible({ timeout: 60_000 });
    const finding = screen
      .locator('li.finding')
      .filter({ hasText: `${miner.name} (pid ${miner.pid}, user ` })
      .first();
    const kill = finding.getByRole('button', { name: 'Kill', exact: true });
    // The card names whom Kill acts on: name, pid, user and program.
    await expect(kill).toHaveAccessibleDescription(
      new RegExp(`^Process ${miner.name} \\(pid ${miner.pid}, user \\S+\\)`),
    );
    await expect(finding.getByTestId('finding-process')).toContainText(miner.exe);
    await axe.check(page, 'deep scan, findings');

    await kill.click();
    const confirm = page.getByRole('dialog', { name: 'Kill process' });
    await expect(confirm).toContainText(`End process ${miner.name} (pid ${miner.pid})?`);
    await axe.check(page, 'kill confirmation from a finding');
    await confirm.getByRole('button', { name: 'Cancel' }).click();

    const crontab = join(scanRoot, 'etc', 'crontab');
    const cron = screen.locator('li.finding').filter({ hasText: crontab });
    const remove = cron.getByRole('button', { name: 'Remove line' });
    await expect(remove).toHaveAccessibleDescription(new RegExp(`^${escapeRegExp(crontab)}, line 1 `));
    await remove.click();
    const removeDialog = page.getByRole('dialog', { name: 'Remove persistence entry' });
    await expect(removeDialog).toBeVisible();
    await axe.check(page, 'remove a persistence line');
    await removeDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(removeDialog).toBeHidden();
  });

  test('Allowlist: with an entry, and its removal confirmation', async () => {
    await nav('Overview').click();
    await awayRow().getByRole('button', { name: 'Allowlist', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to allowlist' });
    await dialog.getByLabel('Reason').fill('e2e: accessibility check');
    await dialog.getByRole('button', { name: 'Add to allowlist' }).click();
    await expect(toasts().getByRole('status')).toContainText(`Added ${miner.exe} to the allowlist.`);
    await dismissAll();

    await nav('Allowlist').click();
    const screen = page.getByTestId('allowlist-page');
    const entry = screen.getByRole('row').filter({ hasText: miner.exe });
    await expect(entry).toHaveCount(1);
    await axe.check(page, 'allowlist');
    await entry.getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove from allowlist' });
    await expect(confirm).toBeVisible();
    await axe.check(page, 'remove from allowlist');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
  });

  test('an error toast: a refusal from the engine, in the alert region', async () => {
    await nav('Overview').click();
    const row = awayRow();
    await row.getByRole('button', { name: 'Kill', exact: true }).click();
    await page.getByRole('dialog', { name: 'Kill process' }).getByRole('button', { name: 'Kill process' }).click();
    await expect(toasts().getByRole('status')).toContainText(`process ${miner.pid} (${miner.name}) exited`);
    await miner.exited();
    await dismissAll();
    // The row stays (the incident does), so Pause can be asked of a process that is gone.
    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    const alert = toasts().getByRole('alert');
    await expect(alert.getByRole('listitem')).toHaveCount(1);
    await axe.check(page, 'an error toast');
  });

  test('no state had a serious or critical violation', () => {
    axe.expectNone();
  });
});
