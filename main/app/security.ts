// Electron security checklist items that apply to every web contents and to the session.
import type { Session, WebContents } from 'electron';
import { isAppUrl } from './ipc-guard.js';

/** Denies every permission request and check (camera, notifications from the page, geolocation…). */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  // Nothing in the window needs a device: refuse USB, serial, HID and Bluetooth pickers.
  session.setDevicePermissionHandler(() => false);
}

/** No navigation, no redirect off app://, no new windows, no <webview>. Applied to every web contents created. */
export function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // The window is a single page: it never navigates, not even within app://.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
