/**
 * Subscribes every store to the engine's events, once, at start-up, and loads the initial state.
 * Components never talk to the engine's events themselves.
 */
import type { IdlewatchApi } from '../../../shared/ipc.js';
import { setApi } from '../api.js';
import { errorMessage } from '../lib/format.js';
import { allowlistFailed, setAllowlist } from './allowlist.js';
import { incidentChanged, loadOpenIncidents, setAwaySummary, useAway } from './incidents.js';
import { liveFailed, liveSample, liveSnapshot, setLiveVisible, useLive } from './live.js';
import { scanFailed, setScanState } from './scan.js';
import { setSettings, settingsFailed } from './settings.js';
import { setStatus, statusFailed } from './status.js';
import { navigateFromShell } from './ui.js';

export const NOT_CONNECTED = 'The Idlewatch engine is not connected to this window.';

let connected = false;

export function connect(api: IdlewatchApi | undefined): void {
  if (connected) return;
  connected = true;
  if (!api) {
    useLive.setState({ phase: 'missing', error: NOT_CONNECTED });
    return;
  }
  setApi(api);

  api.onSample(liveSample);
  api.onStatus(setStatus);
  api.onIncident(({ incident }) => incidentChanged(incident));
  api.onAwaySummary(setAwaySummary);
  api.onScan(setScanState);
  api.onAllowlist(setAllowlist);
  api.onSettings(setSettings);
  api.onNavigate(({ route, incidentKey }) => navigateFromShell(route, incidentKey));

  // The engine watches for load that hides while this window is open (hides-when-watched).
  // A hidden window also needs no process stream.
  const visibility = (): void => {
    const shown = document.visibilityState === 'visible';
    api.setWindowVisible(shown).catch(() => undefined);
    setLiveVisible(shown);
  };
  document.addEventListener('visibilitychange', visibility);
  visibility();

  api.getSnapshot().then(liveSnapshot, (e: unknown) => liveFailed(`Could not reach the engine: ${errorMessage(e)}`));
  api.getStatus().then(setStatus, (e: unknown) => statusFailed(errorMessage(e)));
  void loadOpenIncidents();
  api.getAwaySummary().then(
    (s) => {
      // An event may have brought a newer summary meanwhile.
      if (!useAway.getState().summary) setAwaySummary(s);
    },
    () => setAwaySummary(null),
  );
  api.getScan().then(setScanState, (e: unknown) => scanFailed(errorMessage(e)));
  api.listAllowlist().then(setAllowlist, (e: unknown) => allowlistFailed(errorMessage(e)));
  api.getSettings().then(setSettings, (e: unknown) => settingsFailed(errorMessage(e)));
}
