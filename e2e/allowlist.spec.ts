/**
 * The allowlist rules in the window, against the real engine and real processes (only the user's
 * idle state is scripted): an allowlisted program with hostile evidence is still reported,
 * "allowlisted, but …"; an interpreter needs an argument pattern in the dialog; the add dialog pins
 * the hash by default; an import refuses interpreter entries alone; an old entry that breaks the
 * rule is kept and marked.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { AllowlistEntry } from '../shared/allowlist.js';
import type { IncidentView } from '../shared/ipc.js';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import type { EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { saveSettings } from '../main/engine/store/settings-file.js';
import { killAndWait, type Miner, ScriptedUser, spawnMiner } from './fixtures/miner.js';
import { type EngineWindow, openEngineWindow } from './harness.js';

test.describe.configure({ mode: 'serial' });

test.describe('allowlist rules in the window', () => {
  let tmp = '';
  let dataDir = '';
  const user = new ScriptedUser();
  let app: EngineWindow;
  let page: Page;
  /** Named like a miner and allowlisted by path and hash before it runs. */
  let hostile: Miner;
  /** A copy of sh named python3: an interpreter by its file name. */
  let interp: Miner;

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
  const awayRow = (m: Miner) =>
    page
      .getByRole('table', { name: 'Used while you were away' })
      .getByRole('row')
      .filter({ has: page.getByText(`pid ${m.pid}`, { exact: true }) });
  const onDisk = () =>
    (JSON.parse(readFileSync(join(dataDir, 'allowlist.json'), 'utf8')) as { entries: AllowlistEntry[] }).entries;

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-allow-'));
    dataDir = join(tmp, 'data');
    await mkdir(dataDir, { recursive: true });
    await saveSettings(dataDir, { ...DEFAULT_SETTINGS, idleThresholdSec: 10, samplingIntervalMs: 1000 });
    // Saved by an older Idlewatch: an interpreter with no argument pattern. Kept, but inert.
    writeFileSync(
      join(dataDir, 'allowlist.json'),
      JSON.stringify({
        version: 1,
        entries: [
          { id: 'old-python', exe: '/usr/bin/python3', sha256: null, args: null, reason: 'old', note: '', addedAt: 1 },
        ],
      }),
    );
    app = await openEngineWindow(browser, () => ({ dataDir, idleSources: [user.source] }) as EngineServiceOptions);
    page = app.win.page;
    hostile = spawnMiner(tmp, { name: 'xmrig', waitSec: 0 });
    interp = spawnMiner(tmp, { name: 'python3', waitSec: 0 });
    await app.service.invoke('allowlist:add', [{ exe: hostile.exe, pinHash: true, reason: 'e2e: trusted path' }]);
  });

  test.afterAll(async () => {
    if (hostile) await killAndWait(hostile.child);
    if (interp) await killAndWait(interp.child);
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.afterEach(() => {
    expect(app.win.pageErrors).toEqual([]);
  });

  test('an interpreter entry saved without a pattern is kept, and marked as covering nothing', async () => {
    await nav('Allowlist').click();
    const row = page.getByTestId('allowlist-page').getByRole('row').filter({ hasText: '/usr/bin/python3' });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('entry-problem')).toContainText('Needs an argument pattern');
    expect(onDisk().map((e) => e.id)).toContain('old-python');
  });

  test('an allowlisted program named like a miner is still reported: "allowlisted, but …"', async () => {
    test.setTimeout(120_000);
    await nav('Overview').click();
    user.leave();
    hostile.setAway(true);
    interp.setAway(true);
    const row = awayRow(hostile);
    await expect(row).toBeVisible({ timeout: 60_000 });
    await expect(row.getByTestId('allowlisted-but')).toContainText(
      'allowlisted, but named like a known miner (xmrig)',
      {
        timeout: 30_000,
      },
    );
    await expect(row.getByRole('cell').nth(5)).toHaveText(/Medium|High/, { timeout: 60_000 });
    const inc = ((await app.service.invoke('incidents:list', [{}])) as IncidentView[]).find(
      (i) => i.pid === hostile.pid,
    );
    expect(inc?.allowlisted).toBe(false);
    expect(inc?.allowlistedBut).toMatch(/^allowlisted, but /);
  });

  test('the dialog asks an interpreter for an argument pattern that names the script, and pins by default', async () => {
    test.setTimeout(120_000);
    const row = awayRow(interp);
    await expect(row).toBeVisible({ timeout: 60_000 });
    await row.getByRole('button', { name: 'Allowlist', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add to allowlist' });
    await expect(dialog.getByTestId('interpreter-note')).toContainText('python3 is an interpreter');
    await expect(dialog.getByLabel('Pin this exact file (SHA-256)')).toBeChecked();
    const add = dialog.getByRole('button', { name: 'Add to allowlist' });
    await expect(add).toBeDisabled();
    const pattern = dialog.getByLabel('Argument pattern');
    await pattern.fill('python3');
    await expect(dialog.locator('#allow-pattern-hint')).toContainText('matches any script');
    await expect(add).toBeDisabled();
    await pattern.fill('python3.control');
    await expect(add).toBeEnabled();
    await add.click();
    await expect(dialog).toBeHidden();
    const sha = createHash('sha256').update(readFileSync(interp.exe)).digest('hex');
    expect(onDisk()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          exe: interp.exe,
          sha256: sha,
          args: { kind: 'substring', pattern: 'python3.control' },
        }),
      ]),
    );
  });

  test('an import refuses an interpreter entry alone, keeps the others, and says so', async () => {
    await nav('Allowlist').click();
    const screen = page.getByTestId('allowlist-page');
    const file = join(tmp, 'import.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'idlewatch-allowlist',
        version: 1,
        exportedAt: '2025-01-01T00:00:00.000Z',
        entries: [
          { id: 'n', exe: '/usr/bin/node', sha256: null, args: null, reason: '', note: '', addedAt: 1 },
          { id: 't', exe: join(tmp, 'not-here'), sha256: null, args: null, reason: '', note: '', addedAt: 1 },
        ],
      }),
    );
    await screen.getByLabel('Import').setInputFiles(file);
    const result = screen.getByTestId('import-result');
    await expect(result).toContainText('Imported: 1 entry added, 0 skipped.');
    await expect(result).toContainText('Refused: /usr/bin/node is an interpreter');
    await expect(result).toContainText(`Not pinned: ${join(tmp, 'not-here')}: not found on this machine`);
    expect(onDisk().map((e) => e.exe)).not.toContain('/usr/bin/node');
  });
});
