// Electron security checklist items that apply to every web contents and to the session.
import type { ShellApp, ShellContents, ShellSession } from './electron-api.js';
import { isAppUrl } from './ipc-guard.js';

/**
 * Hardens every web contents as it is created. Registered before the app is ready, so the window's
 * contents are covered from their first navigation.
 */
export function setupSecurity(app: Pick<ShellApp, 'on'>): void {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
}

/** Denies every permission request and check (camera, notifications from the page, geolocation…). */
export function hardenSession(session: ShellSession): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // Nothing in the window needs a device: refuse USB, serial, HID and Bluetooth pickers.
  session.setDevicePermissionHandler(() => false);
}

/** No navigation, no redirect off app://, no new windows, no <webview>. */
export function hardenContents(contents: ShellContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // The window is a single page: it never navigates, not even within app://.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
