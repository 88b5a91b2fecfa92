// Starts the engine in an Electron utility process: a Node process of its own, so sampling,
// detection and deep scans never run on the main process that draws the tray and menus.
import { type EngineChild, EngineClient } from '../engine/index.js';
import type { ElectronApi } from './electron-api.js';

/** Forks the built engine entry (out/engine/index.js). */
export function spawnEngineProcess(
  utilityProcess: ElectronApi['utilityProcess'],
  entry: string,
  env: NodeJS.ProcessEnv,
): EngineChild {
  return utilityProcess.fork(entry, [], {
    serviceName: 'Idlewatch engine',
    stdio: 'inherit',
    env,
  });
}

/** The client of the engine process, not started: the shell subscribes to it first. */
export function setupEngine(
  utilityProcess: ElectronApi['utilityProcess'],
  entry: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): EngineClient {
  return new EngineClient({
    spawn: () => spawnEngineProcess(utilityProcess, entry, { ...env, IDLEWATCH_DATA_DIR: dataDir }),
    dataDir,
  });
}
