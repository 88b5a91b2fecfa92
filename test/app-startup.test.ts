// The shell's start-up (main/app/shell.ts, which main.ts runs with the real electron module) under
// a fake of exactly the Electron API it uses (helpers/fake-electron.ts, typed against Electron's
// own definitions). The engine is the real one: the entry scripts/build.mjs writes to
// out/engine/index.js, forked with Node the way utilityProcess.fork starts it, so an entry that
// does not load as an ES module, or does not answer the host protocol, fails here. Electron itself
// (Chromium, native menus and trays, notifications, packaging) is not exercised: see the README.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUTOSTART_FILE } from '../main/app/autostart-linux.js';
import { APP_ORIGIN } from '../main/app/ipc-guard.js';
import { startShell } from '../main/app/shell.js';
import { AppTray } from '../main/app/tray.js';
import { type TrayAction, type TrayInputs, TRAY_STATES, type TrayState, trayModel } from '../main/app/tray-model.js';
import { API_INVOKE, type EngineStatus, type EventContract } from '../shared/ipc.js';
import { createFakeElectron, type FakeElectron, FakeEvent, type FakeMenu } from './helpers/fake-electron.js';
import { procState, targetOf } from './helpers/proc-target.js';
import { ensureBuilt, OUT } from './helpers/ensure-built.js';

const REPO = resolve(import.meta.dirname, '..');
const PAGE = `${APP_ORIGIN}/index.html`;

beforeAll(() => {
  ensureBuilt('engine', 'engine/index.js', ['main/engine', 'main/app/engine-process.ts', 'shared']);
  ensureBuilt('preload', 'preload/index.cjs', ['main/app/preload.ts', 'shared']);
  ensureBuilt('renderer', 'renderer/index.html', ['renderer', 'shared']);
}, 120_000);

/** Lets the promise callbacks queued so far run (whenReady's, then the shell's). */
const settle = () => new Promise((r) => setTimeout(r, 0));

/** The latest engine sample the window was sent, or null. */
function lastSample(fake: FakeElectron): EventContract['engine:sample'] | null {
  const sent = fake.windows[0]?.webContents.sent.filter((m) => m.channel === 'engine:sample').at(-1);
  return sent ? (sent.args[0] as EventContract['engine:sample']) : null;
}

function menuOf(fake: FakeElectron): FakeMenu {
  const menu = fake.trays[0]?.menu;
  if (!menu) throw new Error('the tray has no menu');
  return menu;
}

describe('a second instance', () => {
  it('quits at once: no window, no tray, no engine, no IPC', async () => {
    const fake = createFakeElectron({ lock: false, appPath: REPO });
    startShell(fake.api, OUT);
    await settle();
    expect(fake.app.lockRequests).toBe(1);
    expect(fake.app.quitted).toBe(true);
    expect([fake.windows, fake.trays, fake.children, [...fake.ipcMain.handlers.keys()]]).toEqual([[], [], [], []]);
    // The scheme is registered before the lock is asked for, as Electron needs it before ready.
    expect(fake.protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(fake.rules).toEqual([]);
  });
});

describe('the first instance, with the built engine', () => {
  let dir = '';
  let dataDir = '';
  let fake: FakeElectron;
  let status: () => Promise<EngineStatus>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iw-startup-'));
    dataDir = join(dir, 'data');
    vi.stubEnv('IDLEWATCH_DATA_DIR', dataDir);
    // Launch at login writes the XDG autostart entry: here, never in the real ~/.config.
    vi.stubEnv('XDG_CONFIG_HOME', join(dir, 'config'));
    // The hook e2e/electron.spec.ts reads in a real Electron: checked here where that cannot run.
    vi.stubEnv('IDLEWATCH_E2E', '1');
    fake = createFakeElectron({ appPath: REPO });
    startShell(fake.api, OUT);
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
    const win = fake.windows[0];
    if (!win) throw new Error('no window');
    status = async () =>
      (await fake.ipcMain.invoke('engine:status', { id: win.webContents.id, url: PAGE })) as EngineStatus;
  });

  afterAll(async () => {
    // A failed test must not leave the engine restarting behind it.
    if (fake && !fake.app.quitted) {
      fake.app.quit();
      await vi.waitFor(() => expect(fake.app.quitted).toBe(true), { timeout: 10_000 }).catch(() => undefined);
    }
    fake?.killChildren();
    delete (globalThis as Record<string, unknown>).__idlewatchShell;
    vi.unstubAllEnvs();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens one sandboxed window on the app:// page, with the preload the build wrote', async () => {
    const win = fake.windows[0]!;
    const prefs = win.options.webPreferences ?? {};
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(prefs.preload).toBe(join(OUT, 'preload', 'index.cjs'));
    expect(existsSync(prefs.preload ?? '')).toBe(true);
    expect(win.options.show).toBe(false);
    // The page came through the app's own protocol handler, from the built renderer, with its CSP.
    await vi.waitFor(() => expect(win.visible).toBe(true));
    expect(win.page?.url).toBe(PAGE);
    expect(win.page?.status).toBe(200);
    expect(win.page?.body).toContain('<div id="root">');
    expect(win.page?.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    const missing = await fake.protocol.handlers.get('app')?.(new Request(`${APP_ORIGIN}/../../etc/passwd`));
    expect(missing?.status).toBe(404);
  });

  it('hardens the web contents and the session', () => {
    const contents = fake.windows[0]!.webContents;
    expect(
      contents.windowOpenHandler?.({
        url: 'https://example.com/',
        frameName: '',
        features: '',
        disposition: 'new-window',
        referrer: { url: '', policy: 'default' },
      }),
    ).toEqual({ action: 'deny' });
    const navigate = new FakeEvent();
    contents.emit('will-navigate', navigate);
    expect(navigate.defaultPrevented).toBe(true);
    const offSite = new FakeEvent();
    contents.emit('will-redirect', offSite, 'https://example.com/');
    const onSite = new FakeEvent();
    contents.emit('will-redirect', onSite, `${APP_ORIGIN}/index.html`);
    expect([offSite.defaultPrevented, onSite.defaultPrevented]).toEqual([true, false]);
    const s = fake.defaultSession;
    expect(s.check?.(null, 'media', APP_ORIGIN, { isMainFrame: true })).toBe(false);
    expect([s.request, s.device].every((h) => typeof h === 'function')).toBe(true);
  });

  it('registers one guarded IPC handler per channel of the contract', async () => {
    expect(new Set(fake.ipcMain.handlers.keys())).toEqual(new Set(Object.values(API_INVOKE)));
    const id = fake.windows[0]!.webContents.id;
    await expect(fake.ipcMain.invoke('engine:status', { id: id + 100, url: PAGE })).rejects.toThrow(
      /does not come from the Idlewatch window/,
    );
    await expect(fake.ipcMain.invoke('engine:status', { id, url: 'https://example.com/' })).rejects.toThrow(
      /does not come from an app:\/\/idlewatch page/,
    );
    await expect(fake.ipcMain.invoke('process:kill', { id, url: PAGE }, { pid: -1, startTimeMs: 0 })).rejects.toThrow(
      /pid is positive/,
    );
  });

  it('forks the built engine entry as a utility process, and the engine answers through the shell', async () => {
    expect(fake.children).toHaveLength(1);
    const child = fake.children[0]!;
    expect(child.modulePath).toBe(join(OUT, 'engine', 'index.js'));
    expect(child.options).toMatchObject({ serviceName: 'Idlewatch engine', stdio: 'inherit' });
    expect(child.options.env).toMatchObject({ IDLEWATCH_DATA_DIR: dataDir });
    // A held request is answered once the engine is up (the entry loaded as an ES module and opened its data).
    const s = await status();
    expect(s.dataDir).toBe(dataDir);
    expect(s.error).toBeNull();
    const hook = (globalThis as { __idlewatchShell?: { trayState(): string | null } }).__idlewatchShell;
    expect(TRAY_STATES).toContain(hook?.trayState());
    // Engine events reach the window once it has loaded; the engine's idle source is the app's
    // powerMonitor from its first sample (a reading lost at start used to sideline it for a minute).
    await vi.waitFor(() => expect(lastSample(fake)).not.toBeNull(), { timeout: 15_000 });
    expect(lastSample(fake)?.sources.filter((x) => x.id.startsWith('idle'))).toEqual([
      expect.objectContaining({ id: 'idle.electron', health: 'ok' }),
    ]);
  }, 40_000);

  it('draws the tray from the engine and acts on its menu: pause, resume', async () => {
    const tray = fake.trays[0]!;
    expect(existsSync(tray.image.path)).toBe(true);
    const start = menuOf(fake).labels();
    expect(start.slice(-8)).toEqual([
      '---',
      'Open Idlewatch',
      'Run deep scan',
      'Pause for 1 hour',
      '---',
      'Launch at login',
      '---',
      'Quit Idlewatch',
    ]);

    menuOf(fake).click('Pause for 1 hour');
    await vi.waitFor(() => expect(menuOf(fake).labels()).toContain('Resume monitoring'), { timeout: 10_000 });
    expect(tray.image.path).toBe(join(REPO, 'assets', 'tray', 'paused.png'));
    expect(tray.tooltip).toMatch(/^Idlewatch: Paused until \d\d:\d\d$/);
    expect((await status()).pausedUntil).toBeGreaterThan(Date.now());

    menuOf(fake).click('Resume monitoring');
    await vi.waitFor(() => expect(menuOf(fake).labels()).toContain('Pause for 1 hour'), { timeout: 10_000 });
    expect((await status()).pausedUntil).toBeNull();
  }, 30_000);

  it('forwards the screen lock to the engine: the tray says away', async () => {
    fake.powerMonitor.idleSec = 3;
    fake.powerMonitor.emit('lock-screen');
    await vi.waitFor(() => expect(fake.trays[0]!.tooltip).toBe('Idlewatch: Screen locked: watching closely'), {
      timeout: 15_000,
    });
    expect(fake.trays[0]!.image.path).toBe(join(REPO, 'assets', 'tray', 'away.png'));
    fake.powerMonitor.emit('unlock-screen');
    await vi.waitFor(() => expect(fake.trays[0]!.tooltip).not.toMatch(/locked/), { timeout: 15_000 });
  }, 40_000);

  it('restarts a killed engine: the tray says why meanwhile', async () => {
    const first = fake.children[0]!.process;
    first.kill('SIGKILL');
    await vi.waitFor(() => expect(fake.trays[0]!.tooltip).toMatch(/^Idlewatch: Not fully working: engine restarting/), {
      timeout: 10_000,
    });
    expect(fake.trays[0]!.image.path).toBe(join(REPO, 'assets', 'tray', 'degraded.png'));
    await vi.waitFor(() => expect(fake.children).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await status()).error).toBeNull(), { timeout: 30_000 });
    await vi.waitFor(() => expect(fake.trays[0]!.tooltip).not.toMatch(/restarting/), { timeout: 10_000 });
  }, 60_000);

  it('turns launch at login on from the tray, through the engine, as an XDG autostart entry', async () => {
    const entry = join(dir, 'config', 'autostart', AUTOSTART_FILE);
    expect(existsSync(entry)).toBe(false);
    menuOf(fake).click('Launch at login');
    await vi.waitFor(() => expect(existsSync(entry)).toBe(true), { timeout: 10_000 });
    expect(readFileSync(entry, 'utf8')).toContain(`Exec=${process.execPath} ${REPO} --hidden`);
    expect(menuOf(fake).items.find((i) => i.label === 'Launch at login')?.checked).toBe(true);
    menuOf(fake).click('Launch at login');
    await vi.waitFor(() => expect(existsSync(entry)).toBe(false), { timeout: 10_000 });
  }, 30_000);

  it('shows and focuses the window when another instance starts, and hides it on close', () => {
    const win = fake.windows[0]!;
    expect(win.close()).toBe(false);
    expect(win.visible).toBe(false);
    const focused = win.focused;
    fake.app.emit('second-instance');
    expect(win.visible).toBe(true);
    expect(win.focused).toBe(focused + 1);
    expect(fake.windows).toHaveLength(1);
  });

  it.skipIf(process.platform !== 'linux')(
    'lists a process Idlewatch paused in the tray menu, and Resume there resumes it',
    async () => {
      // A real program other than the app's own (the app's processes are refused like the engine).
      const burner = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
      try {
        const pid = burner.pid as number;
        const target = targetOf(pid);
        const caller = { id: fake.windows[0]!.webContents.id, url: PAGE };
        // Refused ('gone') until the engine has seen it in a sample.
        await vi.waitFor(
          async () => expect(await fake.ipcMain.invoke('process:pause', caller, target)).toMatchObject({ ok: true }),
          { timeout: 20_000, interval: 500 },
        );
        expect(procState(pid)).toBe('T');
        const resumeLabel = () =>
          menuOf(fake)
            .labels()
            .find((l) => l.startsWith(`Resume sh (pid ${pid}`));
        await vi.waitFor(() => expect(resumeLabel()).toBeDefined(), { timeout: 10_000 });
        expect(menuOf(fake).labels()).toContain('Paused by Idlewatch: 1 process');
        expect((await status()).paused).toMatchObject([{ pid, name: 'sh', exe: expect.stringMatching(/sh$/) }]);
        menuOf(fake).click(resumeLabel() as string);
        await vi.waitFor(() => expect(procState(pid)).not.toBe('T'), { timeout: 10_000 });
        await vi.waitFor(() => expect(resumeLabel()).toBeUndefined(), { timeout: 10_000 });
        expect((await status()).paused).toEqual([]);
      } finally {
        burner.kill('SIGKILL');
      }
    },
    60_000,
  );

  it('quits cleanly: the engine stops and exits, the power monitor is let go, the tray and window go', async () => {
    const child = fake.children.at(-1)!.process;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    expect(fake.powerMonitor.listenerCount('suspend')).toBe(1);
    fake.app.quit();
    // The first quit is held back until the engine has stopped.
    expect(fake.app.quitted).toBe(false);
    expect(await exited).toBe(0);
    await vi.waitFor(() => expect(fake.app.quitted).toBe(true), { timeout: 10_000 });
    expect(fake.trays[0]!.destroyed).toBe(true);
    expect(fake.windows[0]!.isDestroyed()).toBe(true);
    expect(
      (['suspend', 'resume', 'lock-screen', 'unlock-screen'] as const).map((e) => fake.powerMonitor.listenerCount(e)),
    ).toEqual([0, 0, 0, 0]);
    expect(fake.app.exitCode).toBeNull();
    expect(fake.rules).toEqual([]);
  }, 20_000);
});

describe('the tray menu in each state', () => {
  const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
  const base: TrayInputs = {
    status: {
      pausedUntil: null,
      suspended: false,
      problems: [],
      error: null,
      dataDir: '/d',
      open: { low: 0, medium: 0, high: 0 },
      paused: [],
    },
    userState: 'active',
    sources: [],
    incidents: [],
    launchAtLogin: true,
    platform: 'linux',
    now: NOW,
    formatTime: () => '13:00',
  };
  const inputs: Record<TrayState, TrayInputs> = {
    watching: base,
    away: { ...base, userState: 'idle' },
    alert: {
      ...base,
      status: { ...base.status!, open: { low: 0, medium: 0, high: 1 } },
      incidents: [{ key: '42@1000', name: 'xmrig', severity: 'high' }],
    },
    paused: { ...base, status: { ...base.status!, pausedUntil: NOW + 3600_000 } },
    degraded: { ...base, status: { ...base.status!, error: 'disk full' } },
  };

  it.each(TRAY_STATES)('%s: icon, tooltip and a menu whose items do what the model says', async (state) => {
    const fake = createFakeElectron({ appPath: REPO });
    await fake.app.whenReady();
    const actions: [TrayAction, string | undefined][] = [];
    const checks: boolean[] = [];
    const tray = new AppTray(fake.api, join(REPO, 'assets'), {
      onAction: (action, key) => actions.push([action, key]),
      onLaunchAtLogin: (checked) => checks.push(checked),
    });
    const model = trayModel(inputs[state]);
    expect(model.state).toBe(state);
    tray.update(model);
    const native = fake.trays[0]!;
    expect(native.image.path).toBe(join(REPO, 'assets', 'tray', `${state}.png`));
    expect(existsSync(native.image.path)).toBe(true);
    expect(native.tooltip).toBe(model.tooltip);
    const menu = native.menu!;
    expect(menu.labels()).toEqual(model.menu.map((i) => (i.type === 'separator' ? '---' : i.label)));
    for (const [i, item] of model.menu.entries()) {
      const built = menu.items[i]!;
      if (item.type === 'label') expect(built.enabled).toBe(false);
      if (item.type === 'action') {
        menu.click(item.label);
        expect(actions.at(-1)).toEqual([item.action, item.incidentKey]);
      }
      if (item.type === 'checkbox') {
        expect([built.type, built.checked]).toEqual(['checkbox', true]);
        menu.click(item.label);
        expect(checks).toEqual([false]);
      }
    }
    if (state === 'alert') expect(actions).toContainEqual(['incident', '42@1000']);
    native.emit('click');
    expect(actions.at(-1)).toEqual(['open', undefined]);
    // The same model again changes nothing; another state swaps the icon on the same tray.
    const menuBefore = native.menu;
    tray.update(model);
    expect(native.menu).toBe(menuBefore);
    tray.update(trayModel(inputs[state === 'watching' ? 'paused' : 'watching']));
    expect(fake.trays).toHaveLength(1);
    expect(native.image.path).not.toBe(join(REPO, 'assets', 'tray', `${state}.png`));
  });
});
