// Quitting waits for the engine to stop (it flushes its store): the first before-quit is held back
// until the engine process has exited, then the app quits for real.
import type { EngineClient } from '../engine/index.js';
import type { ShellApp } from './electron-api.js';
import type { ShellTrayHandle } from './tray.js';

export interface QuitState {
  /** Set once quitting has begun: the window's close button then closes instead of hiding. */
  quitting: boolean;
}

export function setupQuit(
  app: Pick<ShellApp, 'on' | 'quit'>,
  quit: QuitState,
  parts: { unwirePower: () => void; client: Pick<EngineClient, 'stop'>; tray: Pick<ShellTrayHandle, 'destroy'> },
): void {
  let stopped = false;
  app.on('before-quit', (event) => {
    quit.quitting = true;
    if (stopped) return;
    event.preventDefault();
    parts.unwirePower();
    void parts.client.stop().finally(() => {
      stopped = true;
      parts.tray.destroy();
      app.quit();
    });
  });
}
