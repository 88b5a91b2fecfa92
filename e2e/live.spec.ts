import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { Engine } from '../main/engine/engine.js';
import { connectEngine, serveRenderer } from './harness.js';

// The real engine (real /proc, real idle sources, real GPU probes) behind the real renderer.
let engine: Engine;
let server: Awaited<ReturnType<typeof serveRenderer>>;
const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'iw-e2e-'));

test.beforeAll(async () => {
  server = await serveRenderer();
  engine = new Engine({ intervalMs: 1000 });
  await engine.start();
});

test.afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await engine.stop();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the window shows live engine data: idle state, sources with reasons, a busy process', async ({ page }) => {
  const burner = spawn(process.execPath, ['-e', 'for(;;){}', '--', 'e2e-burner'], { stdio: 'ignore' });
  children.push(burner);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await connectEngine(page, engine, new URL(server.url).origin);
  await page.goto(server.url);

  await expect(page.getByRole('heading', { name: 'Idlewatch' })).toBeVisible();
  await expect(page.getByTestId('user-state')).toBeVisible({ timeout: 10_000 });
  // Every source is listed with its health; the process collector works here.
  await expect(page.locator('[data-source="procs.linux"]')).toHaveClass(/source-ok/);
  await expect(page.locator('[data-source="gpu.nvidia"]')).toBeVisible();
  // No NVIDIA driver here: the window says so instead of showing an empty GPU panel.
  if (!engine.snapshot().latest?.gpus.length) {
    await expect(page.getByTestId('gpu-unavailable')).toContainText('nvidia-smi');
  }
  const row = page.locator(`tr[data-pid="${burner.pid}"]`);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect
    .poll(async () => Number.parseFloat((await row.locator('td').nth(5).textContent()) ?? '0'), { timeout: 10_000 })
    .toBeGreaterThan(50);
  expect(errors).toEqual([]);
});

test('attacker-controlled process names and paths are shown as text, never as markup', async ({ page }) => {
  const hostile = join(tmp, '<img src=x onerror=window.__pwned=1>');
  copyFileSync('/bin/sh', hostile);
  const child = spawn(hostile, ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  children.push(child);
  await connectEngine(page, engine, new URL(server.url).origin);
  await page.goto(server.url);
  const row = page.locator(`tr[data-pid="${child.pid}"]`);
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(row.locator('td.path')).toHaveText(hostile);
  expect(await row.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
