/**
 * Linux collectors: /proc for processes, CPU and connections, nvidia-smi and DRM fdinfo for GPUs,
 * the desktop's D-Bus services and X11 for idle time.
 */
import { idleSourceList, type PlatformCollectors } from '../bundle.js';
import { NvidiaCollector } from '../nvidia/nvidia-collector.js';
import { LinuxConnTracker } from './conn-tracker.js';
import { DrmCollector } from './drm/drm-collector.js';
import { linuxIdleSources, linuxInhibitorSource } from './idle/sources.js';
import { X11FullscreenSource } from './idle/x11-fullscreen.js';
import { JoystickActivity } from './input/joystick.js';
import { LinuxCpuCollector } from './linux-cpu.js';
import { LinuxProcsCollector } from './linux-procs.js';

export { LinuxConnTracker } from './conn-tracker.js';
export { linuxIdleSources, linuxInhibitorSource } from './idle/sources.js';
export { LinuxCpuCollector } from './linux-cpu.js';
export { LinuxProcsCollector } from './linux-procs.js';

export interface LinuxCollectorsOptions {
  intervalMs: number;
  env?: NodeJS.ProcessEnv;
}

export function createLinuxCollectors(opts: LinuxCollectorsOptions): PlatformCollectors {
  const env = opts.env ?? process.env;
  return {
    procs: new LinuxProcsCollector(),
    cpu: new LinuxCpuCollector(),
    gpus: [new NvidiaCollector({ intervalMs: opts.intervalMs }), new DrmCollector()],
    idleSources: idleSourceList(linuxIdleSources(env), 'no idle source is known for this desktop'),
    inhibitors: linuxInhibitorSource(env),
    conns: new LinuxConnTracker(),
    fullscreen: new X11FullscreenSource({ env }),
    gamepad: new JoystickActivity(),
  };
}
