// The Electron shell: a tray, notifications and a window around the engine, which runs in its own
// utility process (engine-process.ts). Every decision is made in a pure module tested under Node
// (tray-model, notify-text, ipc-guard, autostart-linux, app-protocol, window-reaper and the host
// protocol in main/engine/host/); each setupX() wires Electron to one concern, and this file only
// puts them in order. Electron comes in as one object (electron-api.ts): main.ts passes the real
// module, test/app-startup.test.ts a fake, so the start-up runs under plain Node too.
import { join } from 'node:path';
import { defaultDataDir } from '../engine/index.js';
import { setupAppId } from './app-info.js';
import type { ElectronApi, ShellImage } from './electron-api.js';
import { setupEngine } from './engine-launch.js';
import { setupEngineEvents, startEngine } from './engine-events.js';
import { setupE2eHook } from './e2e-hook.js';
import { setupIpc } from './ipc.js';
import { setupLaunchAtLogin, startedHidden } from './login-item.js';
import { setupNotifications } from './notify.js';
import { shellPaths } from './paths.js';
import { setupPower } from './power.js';
import { registerAppScheme, setupAppScheme } from './protocol.js';
import { type QuitState, setupQuit } from './quit.js';
import { hardenSession, setupSecurity } from './security.js';
import { acquireSingleInstance, setupSingleInstance } from './single-instance.js';
import { setupTray } from './tray.js';
import { ShellState } from './tray-model.js';
import { setupWindow } from './window.js';

/**
 * Starts the shell: what must happen before the app is ready (the app:// scheme, the single-instance
 * lock, hardening of web contents), then the rest once it is. `out`: the build output folder.
 */
export function startShell<Image extends ShellImage, Menu>(electron: ElectronApi<Image, Menu>, out: string): void {
  registerAppScheme(electron.protocol);
  if (!acquireSingleInstance(electron.app)) return;
  setupSecurity(electron.app);
  electron.app
    .whenReady()
    .then(() => main(electron, out))
    .catch((e: unknown) => {
      console.error(`Idlewatch could not start: ${(e as Error).message}`);
      electron.app.exit(1);
    });
}

function main<Image extends ShellImage, Menu>(electron: ElectronApi<Image, Menu>, out: string): void {
  const { app } = electron;
  const paths = shellPaths(out, app.getAppPath());
  const dataDir = process.env.IDLEWATCH_DATA_DIR || defaultDataDir();
  hardenSession(electron.session.defaultSession);
  setupAppScheme(electron.protocol, paths.renderer);
  setupAppId(app, process.platform);

  const quit: QuitState = { quitting: false };
  const window = setupWindow(electron, paths.preload, () => quit.quitting);
  const client = setupEngine(electron.utilityProcess, paths.engine, dataDir, process.env);
  const state = new ShellState();
  const launchAtLogin = setupLaunchAtLogin(app);
  const tray = setupTray(electron, { assetsDir: paths.assets, client, window, state, launchAtLogin });
  setupNotifications(electron.Notification, client, {
    platform: process.platform,
    icon: join(paths.assets, 'icon.png'),
    onClick: (incidentKey) => window.show({ route: 'overview', ...(incidentKey ? { incidentKey } : {}) }),
  });
  setupEngineEvents(client, { state, window, tray, launchAtLogin });
  setupIpc(electron.ipcMain, client, () => window.webContentsId);
  startEngine(client, { state, tray, launchAtLogin });
  // Once the engine process exists: the first idle reading, pushed at once, then reaches it before its
  // first sample. Pushed with no process it was dropped, the engine's first probe found no reading,
  // and its idle monitor did not try the app's readings again for a minute.
  const unwirePower = setupPower(electron.powerMonitor, client);

  if (!startedHidden(app)) window.show();
  setupSingleInstance(app, window);
  setupQuit(app, quit, { unwirePower, client, tray });
  setupE2eHook(process.env, { tray, client });
}
