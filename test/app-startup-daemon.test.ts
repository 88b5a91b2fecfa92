// The desktop app started while `idlewatch daemon` already samples with the same data folder: the
// shell (main/app/shell.ts) under the fake Electron of app-startup.test.ts, with the built engine
// entry and the built daemon. The app does not sample too: its status and tray say the daemon
// monitors, and the daemon's incidents are listed; once the daemon stops, the app takes over.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN } from '../main/app/ipc-guard.js';
import { startShell } from '../main/app/shell.js';
import type { EngineStatus, IncidentView } from '../shared/ipc.js';
import { createFakeElectron, type FakeElectron } from './helpers/fake-electron.js';
import { killAndWait, spawnHiddenSleeper, waitFor } from './helpers/processes.js';
import { startDaemon } from './helpers/built-cli.js';
import { ensureBuilt, OUT } from './helpers/ensure-built.js';

const REPO = resolve(import.meta.dirname, '..');
const PAGE = `${APP_ORIGIN}/index.html`;

describe.skipIf(process.platform !== 'linux')('the app started while the daemon samples', () => {
  let dir = '';
  let fake: FakeElectron | null = null;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    ensureBuilt('engine', 'engine/index.js', ['main/engine', 'main/app/engine-process.ts', 'shared']);
    ensureBuilt('preload', 'preload/index.cjs', ['main/app/preload.ts', 'shared']);
    ensureBuilt('renderer', 'renderer/index.html', ['renderer', 'shared']);
    ensureBuilt('cli', 'cli/idlewatch.js', ['main/cli', 'main/engine', 'shared']);
    dir = mkdtempSync(join(tmpdir(), 'iw-startup-daemon-'));
  }, 120_000);

  afterAll(async () => {
    if (fake && !fake.app.quitted) {
      fake.app.quit();
      await vi.waitFor(() => expect(fake?.app.quitted).toBe(true), { timeout: 10_000 }).catch(() => undefined);
    }
    fake?.killChildren();
    await Promise.all(children.map(killAndWait));
    delete (globalThis as Record<string, unknown>).__idlewatchShell;
    vi.unstubAllEnvs();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows who samples and what it found, then takes over when the daemon stops', async () => {
    const dataDir = join(dir, 'data');
    const helper = spawnHiddenSleeper(dir, '.y', 'updaterd');
    children.push(helper);
    const d = startDaemon(['--data-dir', dataDir, '--interval', '500']);
    const daemon = d.child;
    children.push(daemon);
    await waitFor(() => d.log().includes('incident raised: low updaterd'), 30_000, `the daemon's incident: ${d.log()}`);

    vi.stubEnv('IDLEWATCH_DATA_DIR', dataDir);
    vi.stubEnv('XDG_CONFIG_HOME', join(dir, 'config'));
    const f = createFakeElectron({ appPath: REPO });
    fake = f;
    startShell(f.api, OUT);
    await vi.waitFor(() => expect(f.windows).toHaveLength(1));
    const win = f.windows[0]!;
    const invoke = (channel: string, ...args: unknown[]) =>
      f.ipcMain.invoke(channel, { id: win.webContents.id, url: PAGE }, ...args);

    const message = `The Idlewatch daemon (pid ${daemon.pid}) is monitoring this machine with this data folder`;
    await vi.waitFor(async () => expect(((await invoke('engine:status')) as EngineStatus).error).toContain(message), {
      timeout: 30_000,
      interval: 250,
    });
    await vi.waitFor(() => expect(f.trays[0]?.tooltip).toContain('Not fully working: The Idlewatch daemon'), {
      timeout: 10_000,
    });
    const listed = (await invoke('incidents:list', {})) as IncidentView[];
    expect(listed.some((i) => i.name === 'updaterd' && i.pid === helper.pid)).toBe(true);

    daemon.kill('SIGTERM');
    await waitFor(() => daemon.exitCode !== null, 5000, 'the daemon to stop');
    await vi.waitFor(async () => expect(((await invoke('engine:status')) as EngineStatus).error).toBeNull(), {
      timeout: 20_000,
      interval: 500,
    });
    await vi.waitFor(() => expect(f.trays[0]?.tooltip).not.toContain('daemon'), { timeout: 10_000 });
  }, 120_000);
});
