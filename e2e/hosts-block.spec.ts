/**
 * Settings → Block mining domains against the real engine and a real hosts file under a test root:
 * the state as the engine reads it, on (the block written), off (the file byte for byte as it was),
 * and an administrator prompt that is refused (a fake pkexec exiting 126): shown, nothing changed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { pkexecElevator } from '../main/engine/hosts/elevation.js';
import { type EngineWindow, openEngineWindow } from './harness.js';

test.describe.configure({ mode: 'serial' });

const HOSTS = '127.0.0.1 localhost\r\n10.0.0.5 nas.home';
const SHIPPED = join(process.cwd(), 'data', 'mining-domains.txt');

test.describe('block mining domains from Settings', () => {
  let tmp = '';
  let hosts = '';
  let app: EngineWindow;
  let refusing: EngineWindow;
  let page: Page;

  const section = (p: Page) => p.getByTestId('hosts-block');
  const openSettings = (p: Page) =>
    p.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();

  test.beforeAll(async ({ browser }) => {
    tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-hosts-'));
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    hosts = join(root, 'etc', 'hosts');
    writeFileSync(hosts, HOSTS);
    app = await openEngineWindow(browser, () => ({
      dataDir: join(tmp, 'data'),
      hostsBlock: { root, shippedFile: SHIPPED },
    }));
    page = app.win.page;
  });

  test.afterAll(async () => {
    await app?.close();
    await refusing?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('shows off, turns the block on, and off again to the same bytes', async () => {
    await openSettings(page);
    await expect(section(page).getByTestId('hosts-block-state')).toContainText('Off');
    await expect(section(page).getByTestId('hosts-block-state')).toContainText(hosts);
    await expect(section(page).getByTestId('hosts-block-writer')).toHaveText(
      'To change it, Idlewatch writes the test root directly.',
    );
    await section(page).getByRole('button', { name: 'Turn on' }).click();
    await expect(section(page).getByTestId('hosts-block-status')).toContainText(/^on: \d+ names blocked in /);
    await expect(section(page).getByTestId('hosts-block-state')).toContainText(/On · \d+ names blocked/);
    expect(readFileSync(hosts, 'latin1')).toContain('\r\n0.0.0.0 coinhive.com\r\n:: coinhive.com\r\n');
    await section(page).getByRole('button', { name: 'Turn off' }).click();
    await expect(section(page).getByTestId('hosts-block-status')).toContainText('back exactly as it was');
    await expect(section(page).getByTestId('hosts-block-state')).toContainText('Off');
    expect(readFileSync(hosts, 'latin1')).toBe(HOSTS);
    expect(app.win.pageErrors).toEqual([]);
  });

  test('a refused administrator prompt is shown and changes nothing', async ({ browser }) => {
    const fake = join(tmp, 'pkexec');
    writeFileSync(fake, '#!/bin/sh\nexit 126\n', { mode: 0o755 });
    const elevator = pkexecElevator(
      { program: process.execPath, args: ['/nonexistent/idlewatch.js'] },
      { pkexec: fake },
    );
    refusing = await openEngineWindow(browser, () => ({
      dataDir: join(tmp, 'data2'),
      hostsBlock: { root: join(tmp, 'root'), shippedFile: SHIPPED, elevator },
    }));
    const p = refusing.win.page;
    await openSettings(p);
    await expect(section(p).getByTestId('hosts-block-writer')).toHaveText(
      'To change it, Idlewatch asks for administrator rights through pkexec.',
    );
    await section(p).getByRole('button', { name: 'Turn on' }).click();
    await expect(section(p).getByTestId('hosts-block-error')).toContainText(
      'administrator rights were refused: the administrator prompt was dismissed or refused (pkexec exit 126); nothing was changed',
    );
    await expect(section(p).getByTestId('hosts-block-state')).toContainText('Off');
    expect(readFileSync(hosts, 'latin1')).toBe(HOSTS);
  });
});
