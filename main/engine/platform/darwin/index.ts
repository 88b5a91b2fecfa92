/**
 * macOS collectors behind the engine's interfaces, built from the tools every Mac ships with
 * (ps, ioreg, powermetrics) and the kernel's CPU counters. The engine picks this factory when
 * process.platform === 'darwin'. Programs are run by their fixed system paths, never found on
 * PATH (a planted `ps` first on PATH could hide a miner), with argument arrays and no shell.
 */
import { idleSourceList, noFullscreen, noGamepad, type PlatformCollectors } from '../bundle.js';
import { DarwinCpuCollector } from './darwin-cpu.js';
import { DarwinGpuCollector } from './darwin-gpu.js';
import { IoregIdleSource } from './darwin-idle.js';
import { DarwinProcsCollector } from './darwin-procs.js';

export { DarwinCpuCollector } from './darwin-cpu.js';
export { DarwinGpuCollector, NOT_ROOT_NOTE } from './darwin-gpu.js';
export { IoregIdleSource } from './darwin-idle.js';
export { DarwinProcsCollector } from './darwin-procs.js';

export interface DarwinCollectorsOptions {
  /** Engine tick; powermetrics samples at this period. Default 1000 ms. */
  intervalMs?: number;
  /** Environment for the children (LC_ALL=C is forced for ps). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Program paths; tests point them at fakes. */
  paths?: { ps?: string; ioreg?: string; powermetrics?: string };
  /** Default: process.getuid() === 0. */
  isRoot?: boolean;
  /** ioreg period for device GPU use. Default 3000 ms. */
  gpuRefreshMs?: number;
}

export function createDarwinCollectors(opts: DarwinCollectorsOptions = {}): PlatformCollectors {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? {};
  return {
    procs: new DarwinProcsCollector({ env, ...(paths.ps ? { psPath: paths.ps } : {}) }),
    cpu: new DarwinCpuCollector(),
    gpus: [
      new DarwinGpuCollector({
        env,
        ...(paths.ioreg ? { ioregPath: paths.ioreg } : {}),
        ...(paths.powermetrics ? { powermetricsPath: paths.powermetrics } : {}),
        ...(opts.isRoot !== undefined ? { isRoot: opts.isRoot } : {}),
        ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
        ...(opts.gpuRefreshMs !== undefined ? { deviceRefreshMs: opts.gpuRefreshMs } : {}),
      }),
    ],
    idleSources: idleSourceList(
      [new IoregIdleSource({ env, ...(paths.ioreg ? { ioregPath: paths.ioreg } : {}) })],
      null,
    ),
    inhibitors: null,
    conns: null,
    // Which window is fullscreen is only visible to an app with the Screen Recording or
    // Accessibility permission on macOS; Idlewatch asks for neither.
    fullscreen: noFullscreen(
      'fullscreen.macos',
      'macOS tells other apps which window is fullscreen only with the Screen Recording or Accessibility permission, which Idlewatch does not ask for',
    ),
    gamepad: noGamepad('input.macos', 'macOS gives gamepad input only to the app in the foreground'),
  };
}
