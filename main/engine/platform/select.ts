/**
 * Which collectors the engine runs on this operating system, chosen at run time. Each platform
 * keeps its own module; this is the one place that picks between them.
 */
import type { Platform } from '../../../shared/trace.js';
import type { Collector } from '../collector.js';
import { DrmCollector } from '../gpu/drm/drm-collector.js';
import type { GpuReading } from '../gpu/gpu-types.js';
import { NvidiaCollector } from '../gpu/nvidia/nvidia-collector.js';
import type { IdleSource } from '../idle/idle-types.js';
import { LinuxProcsCollector } from '../procs/linux-procs.js';
import type { ProcsReading } from '../procs/proc-types.js';
import { type CpuReading, LinuxCpuCollector } from '../system/linux-cpu.js';
import { createDarwinCollectors } from './darwin/index.js';
import { createWindowsCollectors } from './windows/index.js';

export interface PlatformCollectors {
  procs: Collector<ProcsReading>;
  cpu: Collector<CpuReading>;
  gpus: Collector<GpuReading>[];
  /** Idle sources that belong to these collectors (they share their helper processes); tried after the desktop's. */
  idleSources: IdleSource[];
}

export function platformCollectors(platform: Platform, intervalMs: number): PlatformCollectors {
  switch (platform) {
    case 'win32': {
      // The GPU Engine counters cover every GPU (NVIDIA included) per process, as Task Manager does;
      // nvidia-smi on Windows (WDDM) reports no per-process memory, and running both would list each
      // NVIDIA card twice. The deep scan still reads nvidia-smi for its inventory.
      const w = createWindowsCollectors({ intervalMs: Math.max(1000, intervalMs) });
      return { procs: w.procs, cpu: w.cpu, gpus: w.gpus, idleSources: w.idleSources };
    }
    case 'darwin': {
      const d = createDarwinCollectors({ intervalMs });
      return { procs: d.procs, cpu: d.cpu, gpus: d.gpus, idleSources: d.idleSources };
    }
    default:
      return {
        procs: new LinuxProcsCollector(),
        cpu: new LinuxCpuCollector(),
        gpus: [new NvidiaCollector({ intervalMs }), new DrmCollector()],
        idleSources: [],
      };
  }
}
