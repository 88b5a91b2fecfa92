// Launch at login: the OS login items on Windows and macOS, an XDG autostart entry on Linux.
import { app } from 'electron';
import { HIDDEN_ARG, launchCommand, setAutostart } from './autostart-linux.js';

export async function applyLaunchAtLogin(enabled: boolean): Promise<void> {
  if (process.platform === 'linux') {
    const argv = launchCommand({
      env: process.env,
      execPath: process.execPath,
      isPackaged: app.isPackaged,
      appPath: app.getAppPath(),
    });
    await setAutostart(enabled, argv, { env: process.env });
    return;
  }
  // Windows passes args to the login item; macOS starts the app normally and says so.
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
}

/** Started by the login item: stay in the tray, do not open the window. */
export function startedHidden(): boolean {
  if (process.argv.includes(HIDDEN_ARG)) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
