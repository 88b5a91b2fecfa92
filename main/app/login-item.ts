// Launch at login: the OS login items on Windows and macOS, an XDG autostart entry on Linux.
import { HIDDEN_ARG, launchCommand, setAutostart } from './autostart-linux.js';
import type { ShellApp } from './electron-api.js';

type LoginApp = Pick<ShellApp, 'isPackaged' | 'getAppPath' | 'setLoginItemSettings' | 'getLoginItemSettings'>;

/**
 * Returns the function that applies the launch-at-login setting whenever the shell learns it
 * (engine events, the tray's checkbox). The OS is only touched when the value changes, and a
 * failure is forgotten so that the next value tries again.
 */
export function setupLaunchAtLogin(app: LoginApp): (enabled: boolean) => void {
  let applied: boolean | null = null;
  return (enabled) => {
    if (applied === enabled) return;
    applied = enabled;
    applyLaunchAtLogin(app, enabled).catch((e: unknown) => {
      applied = null;
      console.error(`launch at login: ${(e as Error).message}`);
    });
  };
}

export async function applyLaunchAtLogin(app: LoginApp, enabled: boolean): Promise<void> {
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
export function startedHidden(app: Pick<ShellApp, 'getLoginItemSettings'>): boolean {
  if (process.argv.includes(HIDDEN_ARG)) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
