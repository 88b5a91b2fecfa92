// Forwards the OS's power events and Electron's idle readings to the engine process. The engine
// cannot call powerMonitor (it is a main-process module), so the reading is pushed every second.
import type { EngineClient, PowerEvent } from '../engine/index.js';
import type { ShellPowerMonitor } from './electron-api.js';

export const IDLE_PUSH_MS = 1000;

/** Returns the unwiring (quitting stops the pushes before the engine stops). */
export function setupPower(
  powerMonitor: ShellPowerMonitor,
  client: Pick<EngineClient, 'sendPower' | 'sendIdle'>,
): () => void {
  const forward = (event: PowerEvent) => () => client.sendPower(event);
  const onSuspend = forward('suspend');
  const onResume = forward('resume');
  const onLock = forward('lock-screen');
  const onUnlock = forward('unlock-screen');
  powerMonitor.on('suspend', onSuspend);
  powerMonitor.on('resume', onResume);
  powerMonitor.on('lock-screen', onLock);
  powerMonitor.on('unlock-screen', onUnlock);
  const push = (): void => {
    try {
      const idleSec = powerMonitor.getSystemIdleTime();
      // A threshold just above the reading: the answer is 'locked' or 'active', never decided by it.
      const state = powerMonitor.getSystemIdleState(Math.max(1, Math.floor(idleSec) + 1));
      client.sendIdle({ idleSec, state });
    } catch {
      // no reading this second; the engine's source goes stale and says so
    }
  };
  push();
  const timer = setInterval(push, IDLE_PUSH_MS);
  return () => {
    clearInterval(timer);
    powerMonitor.off('suspend', onSuspend);
    powerMonitor.off('resume', onResume);
    powerMonitor.off('lock-screen', onLock);
    powerMonitor.off('unlock-screen', onUnlock);
  };
}
