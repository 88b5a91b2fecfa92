/**
 * The quarantine in the window, against the real engine and real files: a persistence entry in a
 * temp home removed from the Deep scan page goes to Quarantine, is restored from there byte for
 * byte (mode, owner and times too), and a second removal is deleted for good after a confirmation.
 * An older Idlewatch's backup beside a file is imported when the engine starts. Each state is
 * checked with axe in both themes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { saveSettings } from '../main/engine/store/settings-file.js';
import { THEME_KEY } from '../renderer/src/lib/theme.js';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import { AxeAudit } from './fixtures/axe.js';
import { ScriptedUser } from './fixtures/miner.js';
import { type EngineWindow, openEngineWindow } from './harness.js';

// Each test runs a scan and axe in two themes: a loaded 2-core machine needs more than the default minute.
test.describe.configure({ mode: 'serial', timeout: 240_000 });

const BASHRC =
  '# ~/.bashrc\r\nexport PATH="$HOME/bin:$PATH"\nnohup /var/tmp/.cache/xmr >/dev/null 2>&1 &\n# caf\u00e9\n';
const MINER_LINE = 'nohup /var/tmp/.cache/xmr >/dev/null 2>&1 &';
const root0 = process.getuid?.() === 0;

test.describe('quarantine in the window', () => {
  let tmp = '';
  let dataDir = '';
  let root = '';
  let bashrc = '';
  let preload = '';
  const user = new ScriptedUser();
  const axe = new AxeAudit();
  let app: EngineWindow;
  let page: Page;

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
  const snapshot = (file: string) => {
    const st = lstatSync(file);
    return {
      bytes: readFileSync(file).toString('base64'),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs,
    };
  };
  const dismissAll = async () => {
    const dismiss = page.getByTestId('toast').getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  };

  /** Runs the scan (persistence only, on our root) and removes the .bashrc line through the dialog. */
  const removeFromDeepScan = async () => {
    await nav('Deep scan').click();
    const screen = page.getByTestId('scan-page');
    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    await expect(screen.getByRole('button', { name: 'Run deep scan' })).toBeEnabled({ timeout: 60_000 });
    const finding = screen.locator('li.finding').filter({ hasText: bashrc });
    await finding.getByRole('button', { name: 'Remove line' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove persistence entry' });
    await expect(dialog).toContainText('Idlewatch keeps the file as it is now in Quarantine');
    await dialog.getByRole('button', { name: 'Remove line' }).click();
    await expect(finding.getByTestId('removal-done')).toContainText(
      `Removed line 3 of ${bashrc}. The file as it was is in Quarantine`,
    );
    return finding;
  };

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-quarantine-'));
    dataDir = join(tmp, 'data');
    root = join(tmp, 'root');
    await saveSettings(dataDir, { ...DEFAULT_SETTINGS, samplingIntervalMs: 1000 });
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
    bashrc = join(root, 'home/alice/.bashrc');
    mkdirSync(dirname(bashrc), { recursive: true });
    writeFileSync(bashrc, BASHRC, { mode: 0o640 });
    if (root0) chownSync(bashrc, 1000, 1000);
    utimesSync(bashrc, new Date('2024-05-06T07:08:09Z'), new Date('2024-05-06T07:08:09.250Z'));
    // An older Idlewatch removed the preload line and left its backup beside the file.
    preload = join(root, 'etc/ld.so.preload');
    writeFileSync(preload, '# preload\n');
    writeFileSync(
      join(root, 'etc/.ld.so.preload.idlewatch-backup-20250102T030405678Z'),
      '# preload\n/usr/local/lib/libhide.so\n',
      {
        mode: 0o600,
      },
    );
    app = await openEngineWindow(
      browser,
      (): EngineServiceOptions => ({
        dataDir,
        idleSources: [user.source],
        legacyBackupRoot: root,
        scanOptions: { root, steps: ['persistence'], hiddenProbe: false },
      }),
    );
    page = app.win.page;
    // Theme System, so that the axe checks can switch it through the colour scheme.
    await page.evaluate((key) => localStorage.setItem(key, 'system'), THEME_KEY);
    await page.reload();
  });

  test.afterAll(async () => {
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.afterEach(() => {
    expect(app.win.pageErrors).toEqual([]);
  });

  test('an older backup is imported on start and listed', async () => {
    await nav('Quarantine').click();
    const screen = page.getByTestId('quarantine-page');
    const row = screen.getByRole('row').filter({ hasText: preload });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('persistence line');
    await expect(row).toContainText('line removed by an older Idlewatch');
    await axe.check(page, 'quarantine, an imported item');
  });

  test('a line removed from the Deep scan page is in Quarantine, and restores byte for byte', async () => {
    const before = snapshot(bashrc);
    const finding = await removeFromDeepScan();
    expect(readFileSync(bashrc, 'utf8')).toBe(BASHRC.replace(`${MINER_LINE}\n`, ''));
    await dismissAll();

    await finding.getByRole('button', { name: 'Quarantine' }).click();
    const screen = page.getByTestId('quarantine-page');
    const row = screen.getByRole('row').filter({ hasText: bashrc });
    await expect(row).toContainText('shell rc line');
    await expect(row).toContainText(', line 3');
    await row.getByRole('button', { name: 'Details' }).click();
    const details = screen.getByTestId('quarantine-details');
    await expect(details).toContainText(MINER_LINE);
    await expect(details).toContainText(root0 ? '0640, uid 1000, gid 1000' : '0640');
    await expect(row.getByRole('button', { name: 'Restore' })).toHaveAccessibleDescription(bashrc);
    await axe.check(page, 'quarantine, details');

    await row.getByRole('button', { name: 'Restore' }).click();
    await expect(page.getByTestId('toast').getByRole('status')).toContainText(`line 3 is back in ${bashrc}`);
    await expect(row).toHaveCount(0);
    expect(snapshot(bashrc)).toEqual(before);
    await axe.check(page, 'quarantine, after a restore');
    await dismissAll();
  });

  test('a restore over a file changed since is refused and says so; delete for good asks first', async () => {
    await removeFromDeepScan();
    await dismissAll();
    await nav('Quarantine').click();
    // The exported report lists what was quarantined from its findings.
    const { items } = (await app.service.invoke('quarantine:list', [])) as { items: { id: string; path: string }[] };
    const item = items.find((i) => i.path === bashrc);
    const html = (await app.service.invoke('scan:html', [])) as string;
    const section = html.slice(html.indexOf('<h2>Quarantine</h2>'), html.indexOf('<h2>Steps</h2>'));
    expect(section).toContain(`<td>line 3 removed: nohup /var/tmp/.cache/xmr &gt;/dev/null 2&gt;&amp;1 &amp;</td>`);
    expect(section).toContain(`<td>${item?.id}</td>`);
    expect(section).not.toContain(preload);

    // The quarantine outlives the engine: a new engine on the same data folder lists the item.
    await app.restartEngine();
    page = app.win.page;
    await nav('Quarantine').click();
    const row = page.getByTestId('quarantine-page').getByRole('row').filter({ hasText: bashrc });
    await expect(row).toHaveAttribute('data-item', item?.id ?? 'the item listed before the restart');

    writeFileSync(bashrc, '# edited since\n');
    await row.getByRole('button', { name: 'Restore' }).click();
    await expect(page.getByTestId('toast').getByRole('alert')).toContainText(
      `${bashrc} changed since Idlewatch removed line 3; restoring would overwrite those changes, so nothing was restored`,
    );
    expect(readFileSync(bashrc, 'utf8')).toBe('# edited since\n');
    await expect(row).toHaveCount(1);
    await dismissAll();

    await row.getByRole('button', { name: 'Delete for good' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete for good' });
    await expect(dialog).toContainText(`Delete the quarantined copy of ${bashrc} (line 3) for good?`);
    await axe.check(page, 'quarantine, delete for good confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(row).toHaveCount(1);
    await row.getByRole('button', { name: 'Delete for good' }).click();
    await page
      .getByRole('dialog', { name: 'Delete for good' })
      .getByRole('button', { name: 'Delete for good' })
      .click();
    await expect(row).toHaveCount(0);
    const listed = (await app.service.invoke('quarantine:list', [])) as { items: { path: string }[] };
    expect(listed.items.map((i) => i.path)).toEqual([preload]);
    axe.expectNone();
  });
});

test.describe('kill and quarantine the program, from a Deep scan finding', () => {
  let tmp = '';
  let app: EngineWindow;
  let page: Page;
  let exe = '';
  let child: ChildProcess | null = null;
  const user = new ScriptedUser();

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-killq-'));
    const dataDir = join(tmp, 'data');
    await saveSettings(dataDir, { ...DEFAULT_SETTINGS, samplingIntervalMs: 1000 });
    // A program in a hidden folder of a user's: the scan flags it, and users can write there.
    const dir = join(tmp, 'home/alice/.cache');
    mkdirSync(dir, { recursive: true });
    if (root0) chownSync(dir, 1000, 1000);
    else chmodSync(dir, 0o777);
    exe = join(dir, 'kworkerd');
    copyFileSync('/bin/sleep', exe);
    chmodSync(exe, 0o755);
    child = spawn(exe, ['600'], { stdio: 'ignore' });
    app = await openEngineWindow(
      browser,
      (): EngineServiceOptions => ({
        dataDir,
        idleSources: [user.source],
        scanOptions: { root: tmp, steps: ['processes'], hiddenProbe: false },
      }),
    );
    page = app.win.page;
  });

  test.afterAll(async () => {
    child?.kill('SIGKILL');
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('ends the process, moves its program into Quarantine, and restores it', async () => {
    const original = readFileSync(exe);
    const exited = new Promise((r) => child?.once('exit', r));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Deep scan' }).click();
    const screen = page.getByTestId('scan-page');
    await screen.getByRole('button', { name: 'Run deep scan' }).click();
    await expect(screen.getByRole('button', { name: 'Run deep scan' })).toBeEnabled({ timeout: 90_000 });
    const finding = screen
      .locator('li.finding')
      .filter({ hasText: `pid ${child?.pid}` })
      .filter({ hasText: exe })
      .first();
    await finding.getByRole('button', { name: 'Kill and quarantine the program' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill and quarantine the program' });
    await expect(dialog).toContainText(
      `End process kworkerd (pid ${child?.pid}) and move its program into Quarantine?`,
    );
    await expect(dialog).toContainText(exe);
    await dialog.getByRole('button', { name: 'Kill and quarantine' }).click();
    await expect(finding).toContainText(`${exe} is in the quarantine as`, { timeout: 15_000 });
    await exited;
    expect(existsSync(exe)).toBe(false);

    await finding.getByRole('button', { name: 'Open Quarantine' }).click();
    const row = page.getByTestId('quarantine-page').getByRole('row').filter({ hasText: exe });
    await expect(row).toContainText('program (executable)');
    await row.getByRole('button', { name: 'Restore' }).click();
    await expect(row).toHaveCount(0);
    expect(readFileSync(exe).equals(original)).toBe(true);
    expect(lstatSync(exe).mode & 0o777).toBe(0o755);
    expect(app.win.pageErrors).toEqual([]);
  });
});
