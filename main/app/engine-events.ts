// Where the engine's events go in the shell: ShellState (the tray's inputs, the launch-at-login
// setting), the window, the tray.
import type { EngineClient } from '../engine/index.js';
import type { EventChannel, EventContract } from '../../shared/ipc.js';
import type { ShellTrayHandle } from './tray.js';
import type { ShellState } from './tray-model.js';
import type { AppWindow } from './window.js';

interface Parts {
  state: ShellState;
  window: Pick<AppWindow, 'send'>;
  tray: Pick<ShellTrayHandle, 'refresh'>;
  launchAtLogin: (enabled: boolean) => void;
}

export function setupEngineEvents(client: Pick<EngineClient, 'onEvent'>, parts: Parts): void {
  const { state, window, tray, launchAtLogin } = parts;
  client.onEvent(<C extends EventChannel>(channel: C, payload: EventContract[C]) => {
    state.apply(channel, payload);
    window.send(channel, payload);
    if (channel === 'settings:changed') launchAtLogin((payload as EventContract['settings:changed']).launchAtLogin);
    if (channel !== 'scan:state' && channel !== 'allowlist:changed') tray.refresh();
  });
}

/** Starts the engine process, then asks what it knows at start: settings and open incidents. */
export function startEngine(client: Pick<EngineClient, 'start' | 'invoke'>, parts: Omit<Parts, 'window'>): void {
  const { state, tray, launchAtLogin } = parts;
  client.start();
  client
    .invoke('settings:get', [])
    .then((s) => {
      state.settings = s;
      launchAtLogin(s.launchAtLogin);
    })
    .catch(() => undefined);
  client
    .invoke('incidents:list', [{ severity: ['medium', 'high'], includeReviewed: false, includeAllowlisted: false }])
    .then((list) => {
      for (const inc of list) state.applyIncident(inc);
    })
    .catch(() => undefined)
    .finally(() => tray.refresh());
}
