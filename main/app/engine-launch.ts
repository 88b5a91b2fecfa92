// Starts the engine in an Electron utility process: a Node process of its own, so sampling,
// detection and deep scans never run on the main process that draws the tray and menus.
import { utilityProcess } from 'electron';
import type { EngineChild } from '../engine/host/engine-client.js';

/** Forks the built engine entry (out/engine/index.js). */
export function spawnEngineProcess(entry: string, env: NodeJS.ProcessEnv): EngineChild {
  return utilityProcess.fork(entry, [], {
    serviceName: 'Idlewatch engine',
    stdio: 'inherit',
    env,
  });
}
