// The Electron shell: a tray, notifications and a window around the engine, which runs in its own
// utility process (engine-process.ts). Every decision is made in a pure module tested under Node
// (tray-model, notify-text, ipc-guard, autostart-linux, app-protocol, window-reaper and the host
// protocol in main/engine/host/); this file only wires Electron to them, one setup per concern.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, session } from 'electron';
import { EngineClient } from '../engine/host/engine-client.js';
import { defaultDataDir } from '../engine/store/data-dir.js';
import type { EventChannel, EventContract, Route } from '../../shared/ipc.js';
import { APP_ID } from './app-info.js';
import { spawnEngineProcess } from './engine-launch.js';
import { registerIpc } from './ipc.js';
import { APP_ORIGIN } from './ipc-guard.js';
import { applyLaunchAtLogin, startedHidden } from './login-item.js';
import { Notifier } from './notify.js';
import { wirePower } from './power.js';
import { registerAppScheme, serveAppScheme } from './protocol.js';
import { hardenContents, hardenSession } from './security.js';
import { AppTray } from './tray.js';
import { ShellState, trayModel } from './tray-model.js';
import { AppWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..');
const PAUSE_MS = 3600_000;

registerAppScheme();

/** Tray icons must be real files for the OS tray: packaged, they are unpacked next to the asar. */
function assetsDir(): string {
  return join(app.getAppPath(), 'assets').replace(/app\.asar(?=[\\/]|$)/, 'app.asar.unpacked');
}

function main(): void {
  let quitting = false;
  let stopped = false;
  const dataDir = process.env.IDLEWATCH_DATA_DIR || defaultDataDir();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

  const window = new AppWindow({
    preload: join(out, 'preload', 'index.cjs'),
    url: `${APP_ORIGIN}/index.html`,
    quitting: () => quitting,
  });
  const client = new EngineClient({
    spawn: () => spawnEngineProcess(join(out, 'engine', 'index.js'), { ...process.env, IDLEWATCH_DATA_DIR: dataDir }),
    dataDir,
  });
  const state = new ShellState();
  let appliedLaunchAtLogin: boolean | null = null;

  const syncLaunchAtLogin = (enabled: boolean): void => {
    if (appliedLaunchAtLogin === enabled) return;
    appliedLaunchAtLogin = enabled;
    applyLaunchAtLogin(enabled).catch((e: unknown) => {
      appliedLaunchAtLogin = null;
      console.error(`launch at login: ${(e as Error).message}`);
    });
  };

  const tray = new AppTray(assetsDir(), {
    onAction: (action, incidentKey) => {
      switch (action) {
        case 'open':
          window.show();
          break;
        case 'incident':
          window.show({ route: 'overview', ...(incidentKey ? { incidentKey } : {}) });
          break;
        case 'scan':
          window.show({ route: 'scan' });
          client.invoke('scan:start', []).catch((e: unknown) => console.error(`deep scan: ${(e as Error).message}`));
          break;
        case 'pause':
        case 'resume':
          client
            .invoke('engine:setPaused', [action === 'pause' ? Date.now() + PAUSE_MS : null])
            .then((s) => {
              state.status = s;
              refreshTray();
            })
            .catch((e: unknown) => console.error(`${action}: ${(e as Error).message}`));
          break;
        case 'quit':
          app.quit();
          break;
      }
    },
    onLaunchAtLogin: (checked) => {
      client
        .invoke('settings:set', [{ launchAtLogin: checked }])
        .then((s) => {
          state.settings = s;
          syncLaunchAtLogin(s.launchAtLogin);
        })
        .catch((e: unknown) => console.error(`launch at login: ${(e as Error).message}`))
        .finally(refreshTray);
    },
  });

  function refreshTray(): void {
    tray.update(trayModel(state.inputs(Date.now(), process.platform)));
  }

  const navigate = (route: Route, incidentKey?: string | null): void =>
    window.show({ route, ...(incidentKey ? { incidentKey } : {}) });
  const notifier = new Notifier({
    platform: process.platform,
    icon: join(assetsDir(), 'icon.png'),
    onClick: (incidentKey) => navigate('overview', incidentKey),
  });

  client.onEvent(<C extends EventChannel>(channel: C, payload: EventContract[C]) => {
    state.apply(channel, payload);
    window.send(channel, payload);
    if (channel === 'settings:changed') syncLaunchAtLogin((payload as EventContract['settings:changed']).launchAtLogin);
    if (channel !== 'scan:state' && channel !== 'allowlist:changed') refreshTray();
  });
  client.onNotify((n) => notifier.show(n));
  registerIpc(client, () => window.webContentsId);
  const unwirePower = wirePower(client);
  client.start();

  // What the engine knows at start: settings (launch at login), status, open incidents.
  client
    .invoke('settings:get', [])
    .then((s) => {
      state.settings = s;
      syncLaunchAtLogin(s.launchAtLogin);
    })
    .catch(() => undefined);
  client
    .invoke('incidents:list', [{ severity: ['medium', 'high'], includeReviewed: false, includeAllowlisted: false }])
    .then((list) => {
      for (const inc of list) state.applyIncident(inc);
    })
    .catch(() => undefined)
    .finally(refreshTray);

  refreshTray();
  // "Paused until" runs out on its own; the engine's status event follows, this catches the label up.
  setInterval(refreshTray, 30_000).unref();
  if (!startedHidden()) window.show();

  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  // The tray keeps the app alive: closing (or reaping) the window does not quit.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    unwirePower();
    void client.stop().finally(() => {
      stopped = true;
      tray.destroy();
      app.quit();
    });
  });

  if (process.env.IDLEWATCH_E2E === '1') {
    // Read by e2e/electron.spec.ts through electronApp.evaluate (main process only).
    (globalThis as Record<string, unknown>).__idlewatchShell = {
      trayState: () => (tray.native ? trayModel(state.inputs(Date.now(), process.platform)).state : null),
      invoke: (channel: string, args: unknown[]) => client.invoke(channel, args),
    };
  }
}

if (!app.requestSingleInstanceLock()) {
  // Another Idlewatch runs for this user: it shows its window (second-instance) and this one leaves.
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app
    .whenReady()
    .then(() => {
      hardenSession(session.defaultSession);
      serveAppScheme(join(out, 'renderer'));
      main();
    })
    .catch((e: unknown) => {
      console.error(`Idlewatch could not start: ${(e as Error).message}`);
      app.exit(1);
    });
}
