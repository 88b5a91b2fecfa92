/**
 * Which collectors the engine runs on this operating system, chosen at run time. Each platform
 * keeps its own folder with one factory; this is the one place in the engine that switches on the OS.
 */
import type { Platform } from '../../../shared/trace.js';
import { idleSourceList, type IdleSourceList, type PlatformCollectors } from './bundle.js';
import { createDarwinCollectors } from './darwin/index.js';
import { createLinuxCollectors, linuxIdleSources } from './linux/index.js';
import { createWindowsCollectors } from './win32/index.js';

export type { IdleSourceList, PlatformCollectors } from './bundle.js';

export function platformCollectors(
  platform: Platform,
  intervalMs: number,
  env: NodeJS.ProcessEnv = process.env,
): PlatformCollectors {
  switch (platform) {
    case 'win32':
      // The GPU Engine counters cover every GPU (NVIDIA included) per process, as Task Manager does;
      // nvidia-smi on Windows (WDDM) reports no per-process memory, and running both would list each
      // NVIDIA card twice. The deep scan still reads nvidia-smi for its inventory.
      return createWindowsCollectors({ intervalMs: Math.max(1000, intervalMs), env });
    case 'darwin':
      return createDarwinCollectors({ intervalMs, env });
    default:
      return createLinuxCollectors({ intervalMs, env });
  }
}

/**
 * The desktop's own idle sources, for the Electron engine process to cross-check powerMonitor
 * against without building the collectors. Windows and macOS read idle time through their
 * collectors' helper processes, so only Linux has sources of its own here.
 */
export function desktopIdleSources(platform: Platform, env: NodeJS.ProcessEnv = process.env): IdleSourceList {
  return platform === 'linux'
    ? idleSourceList(linuxIdleSources(env), 'no idle source is known for this desktop')
    : idleSourceList([], `no desktop idle source for ${platform} besides the platform collectors' own`);
}
