import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { EngineService } from '../main/engine/service/engine-service.js';
import { killAndWait } from './fixtures/miner.js';
import { openWindow, serveRenderer } from './harness.js';

// The real engine (real /proc, real idle sources, real GPU probes) behind the real renderer.
let service: EngineService;
let server: Awaited<ReturnType<typeof serveRenderer>>;
const children: ChildProcess[] = [];
// Made in beforeAll: the runner also loads this file to list the tests, and would leave it behind.
let tmp = '';

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-live-'));
  server = await serveRenderer();
  service = await EngineService.open({ dataDir: join(tmp, 'data'), intervalMs: 1000 });
  await service.start();
});

test.afterAll(async () => {
  await Promise.all(children.map(killAndWait));
  await service?.stop();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The "Busy now" row of one pid, filtered so the virtualized table is sure to render it. */
async function busyRow(page: Page, pid: number) {
  const table = page.getByRole('table', { name: 'Busy now' });
  await page.getByRole('searchbox', { name: 'Filter processes' }).fill(String(pid));
  return table.locator(`tr[data-pid="${pid}"]`);
}

test('the window shows live engine data: idle state, sources with reasons, a busy process', async ({ browser }) => {
  const burner = spawn(process.execPath, ['-e', 'for(;;){}', '--', 'e2e-burner'], { stdio: 'ignore' });
  children.push(burner);
  const win = await openWindow(browser, service, server.url);
  const { page } = win;

  await expect(page.getByRole('heading', { name: 'Idlewatch', level: 1 })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByTestId('status-banner')).toHaveText(/All quiet/);
  await expect(page.getByTestId('user-state')).toBeVisible({ timeout: 10_000 });

  // Every source is listed with its health in words and, for each, the engine's own reason.
  const sources = service.current.engine.sources();
  expect(sources.length).toBeGreaterThan(3);
  for (const s of sources) {
    const li = page.getByTestId('sources').locator(`li[data-source="${s.id}"]`);
    await expect(li).toContainText(s.label);
    await expect(li).toContainText(s.detail);
  }
  await expect(page.locator('li[data-source="procs.linux"]')).toContainText('working');
  // The idle sources of this machine (no desktop here) say why they do not work; when none works the
  // user state says Idlewatch cannot tell, instead of guessing.
  const idleSources = sources.filter((s) => s.id.startsWith('idle.'));
  if (idleSources.every((s) => s.health !== 'ok')) {
    await expect(page.getByTestId('user-state')).toContainText('Idle detection unavailable');
  }
  // No NVIDIA driver here: the window says why instead of showing an empty GPU panel.
  if (!service.current.engine.snapshot().latest?.gpus.length) {
    const nvidia = sources.find((s) => s.id === 'gpu.nvidia');
    await expect(page.getByTestId('gpu-unavailable')).toContainText('nvidia-smi');
    if (nvidia) await expect(page.getByTestId('gpu-unavailable')).toContainText(nvidia.detail);
  }

  // The busy process is in "Busy now" with its live CPU share (column 6): the engine's own figure
  // (a loaded machine may give the burner a fraction of a core), busy by any measure.
  const row = await busyRow(page, burner.pid!);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row.getByRole('cell').nth(1)).toHaveText('node');
  await expect
    .poll(
      async () => {
        const shown = Number.parseFloat((await row.getByRole('cell').nth(5).textContent()) ?? '0');
        const engine = service.current.latest?.procs.find((p) => p.pid === burner.pid)?.cpu ?? -100;
        return shown > 5 && Math.abs(shown - engine) <= 0.1 + engine * 0.5 ? 'shown' : `${shown} vs ${engine}`;
      },
      { timeout: 10_000 },
    )
    .toBe('shown');
  expect(win.pageErrors).toEqual([]);
  await win.close();
});

test('attacker-controlled process names and paths are shown as text, never as markup', async ({ browser }) => {
  const hostile = join(tmp, '<img src=x onerror=window.__pwned=1>');
  copyFileSync('/bin/sh', hostile);
  const child = spawn(hostile, ['-c', 'while :; do :; done', '<b>bold</b>'], { stdio: 'ignore' });
  children.push(child);
  const win = await openWindow(browser, service, server.url);
  const { page } = win;

  const row = await busyRow(page, child.pid!);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row.getByRole('cell', { name: hostile, exact: true })).toBeVisible();
  expect(await row.locator('img, b').count()).toBe(0);

  // The details dialog shows the same strings, as text.
  await row.getByRole('button', { name: /^Details/ }).click();
  const details = page.getByRole('dialog', { name: 'Process details' });
  await expect(details).toBeVisible();
  await expect(details.getByText(hostile, { exact: true })).toBeVisible();
  await expect(details).toContainText('<b>bold</b>');
  expect(await details.locator('img, b').count()).toBe(0);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(win.pageErrors).toEqual([]);
  await win.close();
});
