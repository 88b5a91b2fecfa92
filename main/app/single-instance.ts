// One Idlewatch per user: a second start shows the first one's window and leaves.
import type { ShellApp } from './electron-api.js';
import type { AppWindow } from './window.js';

/** Takes the lock before the app is ready; false (and quitting) when another Idlewatch holds it. */
export function acquireSingleInstance(app: Pick<ShellApp, 'requestSingleInstanceLock' | 'quit'>): boolean {
  if (app.requestSingleInstanceLock()) return true;
  app.quit();
  return false;
}

/** The other start's request, as Electron hands it to the instance holding the lock. */
export function setupSingleInstance(app: Pick<ShellApp, 'on'>, window: Pick<AppWindow, 'show'>): void {
  app.on('second-instance', () => window.show());
}
