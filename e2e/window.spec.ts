/**
 * The window against the real engine, real processes and real files; only the user's idle state is
 * scripted. One stealth-miner scenario runs through the steps in order: detection, details, pause
 * and resume, kill, allowlist (across a reload and an engine restart), incidents review, deep scan.
 * Screenshots of each screen are written to e2e/screenshots/<screen>-<theme>.png.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import type { EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { localTime } from '../main/engine/scan/report-text.js';
import { saveSettings } from '../main/engine/store/settings-file.js';
import type { AllowlistEntry } from '../shared/allowlist.js';
import type { IncidentView } from '../shared/ipc.js';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import { killAndWait, type Miner, pidExists, procStat, ScriptedUser, spawnMiner } from './fixtures/miner.js';
import { type EngineWindow, openEngineWindow, SCREENSHOT_DIR, screenshotThemes } from './harness.js';

const IDLE_THRESHOLD_SEC = 10;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

// One scenario, step after step: a failing step skips the rest.
test.describe.configure({ mode: 'serial' });

test.describe('a stealth miner while the user is away', () => {
  // Made in beforeAll: the runner also loads this file to list the tests, and would leave it behind.
  let tmp = '';
  let dataDir = '';
  const user = new ScriptedUser();
  let app: EngineWindow;
  let miner: Miner;
  let page: Page;
  let incidentKey = '';

  const serviceOptions = (): EngineServiceOptions => ({
    dataDir,
    // The only scripted thing: whether the user is at the machine. GPUs, processes, files: real.
    idleSources: [user.source],
    // A real scan of this machine, with the hidden-process probe going far enough past pid_max that
    // the progress bar and Cancel can be seen (a couple of seconds).
    scanOptions: { hiddenProbe: { maxPid: 200_000, budgetMs: 20_000 } },
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
  const awayTable = () => page.getByRole('table', { name: 'Used while you were away' });
  /** The miner's row (by its "pid N" text, exactly: its short-lived forks have other pids). */
  const rowOf = (table: Locator): Locator =>
    table.getByRole('row').filter({ has: page.getByText(`pid ${miner.pid}`, { exact: true }) });
  const awayRow = (): Locator => rowOf(awayTable());
  const chip = (row: Locator, rule: string) => row.getByRole('listitem').filter({ hasText: `(rule: ${rule})` });
  const okToast = () => page.getByTestId('toast').getByRole('status');
  /**
   * The banner says what the engine's open incidents (medium or high, not reviewed, not
   * allowlisted) say: "All quiet" or their number. `not`: a pid that must not be among them.
   */
  const expectBannerAsEngine = async (not?: number) => {
    await expect
      .poll(async () => {
        const all = (await app.service.invoke('incidents:list', [{ includeReviewed: false }])) as IncidentView[];
        const open = all.filter((i) => !i.allowlisted && i.severity !== 'low');
        if (not !== undefined && open.some((i) => i.pid === not)) return 'the engine still counts it as open';
        const text = (await page.getByTestId('status-banner').textContent()) ?? '';
        return open.length === 0 ? /All quiet/.test(text) : text.includes(`${open.length} process`);
      })
      .toBe(true);
  };
  const engineIncident = async (): Promise<IncidentView | undefined> =>
    ((await app.service.invoke('incidents:list', [{}])) as IncidentView[]).find((i) => i.pid === miner.pid);

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-window-'));
    dataDir = join(tmp, 'data');
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    // Pre-seeded settings: the shortest idle threshold the app allows, one sample a second.
    await saveSettings(dataDir, {
      ...DEFAULT_SETTINGS,
      idleThresholdSec: IDLE_THRESHOLD_SEC,
      samplingIntervalMs: 1000,
    });
    app = await openEngineWindow(browser, serviceOptions);
    // Launched as miners usually are: a script that execs the miner once the user is away. The
    // window must name the miner (same pid and start time as the script), not the script.
    miner = spawnMiner(tmp, { waitSec: 15, launcher: 'update-check.sh' });
    page = app.win.page;
  });

  test.afterAll(async () => {
    if (miner) await killAndWait(miner.child);
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.afterEach(() => {
    expect(app.win.pageErrors).toEqual([]);
  });

  test('the theme follows the system when Theme is System', async () => {
    await nav('Settings').click();
    const settings = page.getByTestId('settings-page');
    await expect(settings).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await settings.getByLabel('Theme').selectOption({ label: 'System' });
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    // A window-only setting: kept across a reload, never sent to the engine.
    await page.reload();
    await nav('Settings').click();
    await expect(page.getByTestId('settings-page').getByLabel('Theme')).toHaveValue('system');
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).not.toHaveProperty('theme');
  });

  test('a real miner that burns only while the user is away appears in "Used while you were away" with its evidence', async () => {
    test.setTimeout(150_000);
    await nav('Overview').click();
    await expect(page.getByTestId('user-state')).toContainText('You are at the machine');
    await expect(page.getByTestId('status-banner')).toHaveText(/All quiet/);
    await expect(awayTable()).toBeVisible();
    // Quiet while the user is here. (Its hidden /tmp folder alone may already list it, at low
    // severity, which does not count as "used while you were away" in the banner.)
    await expect(chip(awayRow(), 'cpu-while-idle')).toHaveCount(0);
    // The scripted source is listed among the sources, working.
    await expect(page.getByTestId('sources').locator('li[data-source="idle.scripted"]')).toContainText('working');

    // The user walks away (away for Idlewatch 10 s later); the miner, told so, waits 15 s and then
    // burns a core.
    user.leave();
    miner.setAway(true);
    await expect(page.getByTestId('user-state')).toContainText('You are away', { timeout: 15_000 });
    await expect(page.getByTestId('status-banner')).toHaveText(/All quiet/);
    await expect.poll(() => procStat(miner.pid)?.state, { timeout: 30_000 }).toBe('R');

    const row = awayRow();
    await expect(row).toBeVisible({ timeout: 60_000 });
    await expect(row.getByRole('cell', { name: miner.exe, exact: true })).toBeVisible();
    await expect(row.getByText(miner.name, { exact: true })).toBeVisible();
    await expect(row.getByText('update-check.sh', { exact: true })).toHaveCount(0);
    // What it was before, as context: "was /bin/sh …/update-check.sh … until HH:MM".
    await expect(row.locator('.was')).toContainText('update-check.sh');
    // The load rules need 20 s of sustained load while away; provenance may come first.
    for (const rule of ['cpu-while-idle', 'onset-after-idle', 'temp-folder-executable']) {
      await expect(chip(row, rule)).toBeVisible({ timeout: 60_000 });
    }
    await expect(row.getByRole('cell').nth(5)).toHaveText(/Medium|High/);
    await expect(row.getByText('running', { exact: true })).toBeVisible();
    // Every reason the engine gave is shown in the engine's own words.
    const incident = await engineIncident();
    expect(incident).toBeDefined();
    expect(incident!.name).toBe(miner.name);
    expect(incident!.exe).toBe(miner.exe);
    expect(incident!.was?.[0]?.name).toBe('update-check.sh');
    incidentKey = incident!.key;
    for (const r of incident!.reasons) await expect(chip(row, r.rule)).toContainText(r.detail);
    await expectBannerAsEngine();
    await expect(page.getByTestId('status-banner')).toHaveText(
      /\d+ process(es)? used your (GPU and )?CPU while you were away/,
    );
    await screenshotThemes(page, 'overview');
  });

  test('Details shows the process, its history and why it was flagged', async () => {
    await awayRow().getByRole('button', { name: 'Details', exact: true }).click();
    const details = page.getByRole('dialog', { name: 'Process details' });
    await expect(details).toBeVisible();
    await expect(details).toHaveAttribute('data-testid', 'process-details');
    await expect(details.getByRole('heading', { name: miner.name, exact: true })).toBeVisible();
    await expect(details.getByText(miner.exe, { exact: true })).toBeVisible();
    await expect(details).toContainText(`pid ${miner.pid}`);
    await expect(details.getByRole('heading', { name: 'Replaced its program' })).toBeVisible();
    await expect(details.getByRole('list', { name: 'Earlier programs of this process' })).toContainText(
      'update-check.sh',
    );
    await expect(details).toContainText('running: CPU');
    await expect(chip(details, 'cpu-while-idle')).toBeVisible();
    // The engine's verdict, in its words.
    await expect(details).toContainText(`no allowlist entry for ${miner.exe}`);
    // Its SHA-256 on request, as the engine computes it from the real file.
    const sha = createHash('sha256').update(readFileSync(miner.exe)).digest('hex');
    await details.getByRole('button', { name: 'Compute SHA-256' }).click();
    await expect(details.getByText(sha, { exact: true })).toBeVisible();
    await screenshotThemes(page, 'process-details', { fullPage: false });
    await details.getByRole('button', { name: 'Close' }).click();
    await expect(details).toBeHidden();
  });

  test('Pause really stops the process and Resume restarts it', async () => {
    const row = awayRow();
    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(okToast()).toContainText(
      `process ${miner.pid} (${miner.name}) is paused: it gets no CPU or GPU time until it is resumed or killed`,
    );
    await expect.poll(() => procStat(miner.pid)?.state).toBe('T');
    await expect(row.getByText('paused', { exact: true })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
    // Over two seconds of a stopped process, its CPU time does not move (it would gain ~200 ticks).
    const before = procStat(miner.pid)!.cpuTicks;
    await new Promise((r) => setTimeout(r, 2000));
    expect(procStat(miner.pid)).toEqual({ state: 'T', cpuTicks: before });

    // Listed on the Overview with what it is, and resumed from there (the tray lists the same).
    const pausedPanel = page.getByTestId('paused-panel');
    await expect(pausedPanel).toContainText(`${miner.name} (pid ${miner.pid}`);
    await expect(pausedPanel).toContainText(miner.exe);
    await pausedPanel.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect(okToast()).toContainText(`process ${miner.pid} (${miner.name}) is running again`);
    await expect(pausedPanel).toBeHidden();
    await expect.poll(() => procStat(miner.pid)?.state).not.toBe('T');
    await expect.poll(() => procStat(miner.pid)!.cpuTicks, { timeout: 5000 }).toBeGreaterThan(before + 20);
    await expect(row.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
    await expect(row.getByText('paused', { exact: true })).toHaveCount(0);
  });

  test('when the user comes back the miner goes quiet, and Incidents summarises the absence', async () => {
    user.comeBack();
    miner.setAway(false);
    await expect(page.getByTestId('user-state')).toContainText('You are at the machine', { timeout: 15_000 });
    // The real process stops burning: its CPU time stands still.
    await expect
      .poll(
        async () => {
          const a = procStat(miner.pid)!.cpuTicks;
          await new Promise((r) => setTimeout(r, 1000));
          return procStat(miner.pid)!.cpuTicks - a;
        },
        { timeout: 10_000 },
      )
      .toBeLessThan(5);
    // The summary comes once the return is confirmed (20 s: STOP_CONFIRM_MS), naming the miner.
    await expect
      .poll(
        async () => {
          const summary = (await app.service.invoke('away:latest', [])) as { processes: { pid: number }[] } | null;
          return summary?.processes.map((p) => p.pid) ?? [];
        },
        { timeout: 40_000 },
      )
      .toContain(miner.pid);
    await nav('Incidents').click();
    await expect(page.getByTestId('away-summary')).toContainText(
      new RegExp(`^While you were away \\(\\d\\d:\\d\\d–\\d\\d:\\d\\d\\), ${miner.name} kept your CPU at \\d+% for`),
    );
    await nav('Overview').click();
    await expect(awayRow().getByText('running', { exact: true })).toBeVisible();
  });

  test('Kill asks first, then really ends the process', async () => {
    const row = awayRow();
    await row.getByRole('button', { name: 'Kill', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Kill process' });
    await expect(confirm).toContainText(`End process ${miner.name} (pid ${miner.pid})?`);
    // Cancel (the focused, least destructive choice) leaves it running.
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toBeHidden();
    expect(pidExists(miner.pid)).toBe(true);
    expect(procStat(miner.pid)?.state).not.toBe('Z');

    await row.getByRole('button', { name: 'Kill', exact: true }).click();
    await confirm.getByRole('button', { name: 'Kill process' }).click();
    await expect(okToast()).toContainText(`process ${miner.pid} (${miner.name}) exited after SIGTERM`);
    await miner.exited();
    expect(miner.child.signalCode).toBe('SIGTERM');
    let code: string | undefined;
    try {
      process.kill(miner.pid, 0);
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ESRCH');
    await expect(row.getByText('exited', { exact: true })).toBeVisible();
  });

  test('Allowlist persists to allowlist.json and holds after a reload and an engine restart', async () => {
    const sha = createHash('sha256').update(readFileSync(miner.exe)).digest('hex');
    await awayRow().getByRole('button', { name: 'Allowlist', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to allowlist' });
    await expect(dialog).toContainText(miner.exe);
    await dialog.getByLabel('Reason').fill('e2e: my own test miner');
    await expect(dialog.getByLabel('Pin this exact file (SHA-256)')).toBeChecked();
    await dialog.getByRole('button', { name: 'Add to allowlist' }).click();
    await expect(dialog).toBeHidden();
    await expect(okToast()).toContainText(`Added ${miner.exe} to the allowlist.`);

    const onDisk = () =>
      (JSON.parse(readFileSync(join(dataDir, 'allowlist.json'), 'utf8')) as { entries: AllowlistEntry[] }).entries;
    expect(onDisk()).toEqual([
      expect.objectContaining({ exe: miner.exe, sha256: sha, reason: 'e2e: my own test miner', args: null }),
    ]);
    await expect(awayRow().getByText('allowlisted', { exact: true })).toBeVisible();
    // No longer counted as open: the banner follows the engine (other processes of this shared
    // machine may be busy while the scripted user is away too).
    await expectBannerAsEngine(miner.pid);

    const expectEntryShown = async () => {
      await nav('Allowlist').click();
      const entry = page.getByTestId('allowlist-page').getByRole('row').filter({ hasText: miner.exe });
      await expect(entry).toHaveCount(1);
      await expect(entry).toContainText('e2e: my own test miner');
      await expect(entry).toContainText(sha.slice(0, 12));
      await nav('Overview').click();
      await expect(awayRow().getByText('allowlisted', { exact: true })).toBeVisible();
    };

    await page.reload();
    await expectEntryShown();

    // A new engine on the same data folder, and a new page for it.
    await app.restartEngine();
    page = app.win.page;
    await expectEntryShown();
    expect(onDisk()).toHaveLength(1);
  });

  test('the Allowlist page removes, exports and imports entries', async () => {
    await nav('Allowlist').click();
    const screen = page.getByTestId('allowlist-page');
    await screenshotThemes(page, 'allowlist');
    const downloading = page.waitForEvent('download');
    await screen.getByRole('button', { name: 'Export' }).click();
    const exported = await downloading;
    const exportPath = join(tmp, 'allowlist-export.json');
    await exported.saveAs(exportPath);
    const doc = JSON.parse(readFileSync(exportPath, 'utf8')) as { format: string; entries: AllowlistEntry[] };
    expect(doc.format).toBe('idlewatch-allowlist');
    expect(doc.entries.map((e) => e.exe)).toEqual([miner.exe]);

    await screen.getByRole('row').filter({ hasText: miner.exe }).getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove from allowlist' });
    await confirm.getByRole('button', { name: 'Remove entry' }).click();
    await expect(okToast()).toContainText(`Removed ${miner.exe} from the allowlist.`);
    await expect(screen.getByRole('row').filter({ hasText: miner.exe })).toHaveCount(0);
    const onDisk = () => JSON.parse(readFileSync(join(dataDir, 'allowlist.json'), 'utf8')) as { entries: unknown[] };
    expect(onDisk().entries).toEqual([]);

    await screen.getByLabel('Import').setInputFiles(exportPath);
    await expect(screen.getByTestId('import-result')).toHaveText('Imported: 1 entry added, 0 skipped.');
    await expect(screen.getByRole('row').filter({ hasText: miner.exe })).toHaveCount(1);
    expect(onDisk().entries).toEqual([expect.objectContaining({ exe: miner.exe, reason: 'e2e: my own test miner' })]);
  });

  test('Incidents lists the miner from the history, and Mark reviewed persists', async () => {
    await nav('Incidents').click();
    const list = page.getByTestId('incident-list');
    const row = rowOf(list);
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(miner.exe);
    await expect(chip(row, 'cpu-while-idle')).toBeVisible();
    await expect(row.getByRole('cell', { name: 'Not reviewed' })).toBeVisible();
    await screenshotThemes(page, 'incidents');

    await row.getByRole('button', { name: 'Mark reviewed' }).click();
    await expect(row.getByRole('cell', { name: 'Reviewed', exact: true })).toBeVisible();
    const reviewed = JSON.parse(readFileSync(join(dataDir, 'reviewed.json'), 'utf8')) as {
      reviewed: Record<string, number>;
    };
    expect(Object.keys(reviewed.reviewed)).toEqual([incidentKey]);
    expect((await engineIncident())?.reviewed).toBe(true);
    // Reviewed incidents leave the overview's list.
    await nav('Overview').click();
    await expect(awayRow()).toHaveCount(0);

    // The severity filter: the miner is not low.
    await nav('Incidents').click();
    await page.getByRole('form', { name: 'Incident filters' }).getByLabel('Low', { exact: true }).check();
    await expect(row).toHaveCount(0);
    await page.getByRole('form', { name: 'Incident filters' }).getByLabel('Low', { exact: true }).uncheck();
    await row.getByRole('button', { name: 'Mark unreviewed' }).click();
    await expect(row.getByRole('cell', { name: 'Not reviewed' })).toBeVisible();
    expect((await engineIncident())?.reviewed).toBe(false);
    await nav('Overview').click();
    await expect(awayRow()).toHaveCount(1);
  });

  test('Deep scan runs a real scan of this machine: progress, Cancel, findings, HTML export', async () => {
    test.setTimeout(90_000);
    await nav('Deep scan').click();
    const screen = page.getByTestId('scan-page');
    await expect(screen.getByText('No scan has run yet.')).toBeVisible();
    await expect(screen.getByRole('button', { name: 'Export HTML report' })).toBeDisabled();

    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    await expect(screen.getByRole('progressbar', { name: 'Scan progress' })).toBeVisible();
    await screen.getByRole('button', { name: 'Cancel' }).click();
    await expect(screen.getByTestId('scan-error')).toHaveText('The last scan did not finish: cancelled');
    await expect(screen.getByRole('progressbar')).toHaveCount(0);

    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    await expect(screen.getByRole('progressbar', { name: 'Scan progress' })).toBeVisible();
    // The cancelled scan's partial report stays shown while this one runs: wait for the run to end.
    await expect(screen.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
    await expect(screen.getByTestId('scan-summary')).toBeVisible();
    const state = (await app.service.invoke('scan:state', [])) as {
      report: {
        startedAt: string;
        summary: { high: number; medium: number; low: number };
        findings: { title: string }[];
        steps: { id: string; label: string; detail: string }[];
      };
    };
    const { summary, findings, steps } = state.report;
    await expect(screen.getByTestId('scan-summary')).toContainText(
      `${summary.high} high, ${summary.medium} medium, ${summary.low} low`,
    );
    const stepRows = screen.getByRole('table', { name: 'Scan steps' }).getByRole('row');
    await expect(stepRows).toHaveCount(steps.length + 1);
    // By id: one step's label may contain another's ("Software currency (browsers, …)" and "Browsers").
    for (const s of steps) await expect(screen.locator(`tr[data-step="${s.id}"]`)).toContainText(s.detail);
    // The software and dns steps have their own panel: every browser found, the OS and DNS state.
    const software = (state.report as { software?: { browsers: { label: string; version: string }[] } }).software;
    const panel = screen.getByTestId('scan-software');
    for (const b of software?.browsers ?? []) {
      await expect(panel.getByRole('table', { name: 'Installed browsers' })).toContainText(`${b.label}${b.version}`);
    }
    await expect(panel.getByTestId('os-updates')).toContainText('Operating-system updates: ');
    await expect(panel.getByTestId('dns-cache')).toContainText('DNS cache: ');
    for (const f of findings.slice(0, 5))
      await expect(screen.getByText(f.title, { exact: true }).first()).toBeVisible();
    await screenshotThemes(page, 'deep-scan');

    const downloading = page.waitForEvent('download');
    await screen.getByRole('button', { name: 'Export HTML report' }).click();
    const html = readFileSync((await (await downloading).path())!, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    // The report names the scan by its start, in local time with the zone (the engine's clock and
    // zone: this test runs the engine in its own process).
    expect(html).toContain(
      `<title>Idlewatch deep scan ${escapeHtml(localTime(Date.parse(state.report.startedAt)))}</title>`,
    );
    for (const f of findings.slice(0, 5)) expect(html).toContain(escapeHtml(f.title));
  });
});
