import type { GpuVendor } from '../../../shared/trace.js';

/** One GPU device as a GPU collector sees it on one tick. */
export interface GpuDeviceReading {
  /** Unique across all GPU collectors of a machine (NVIDIA: its index, "0"; DRM: "drm:<pci address>"). */
  id: string;
  vendor: GpuVendor;
  name: string;
  memoryMiB: number | null;
  /** Busiest-engine utilisation 0..100, or null when not measurable. */
  util: number | null;
  memUsedMiB: number | null;
}

/** One process's use of one GPU on one tick. */
export interface GpuProcReading {
  pid: number;
  gpuId: string;
  /** Percent of that GPU kept busy over the last interval, busiest engine (3D/compute/video); null when not measured. */
  util: number | null;
  memMiB: number | null;
  /** Name as the GPU tool reports it (pmon truncates), for display only; never used for identity. */
  name?: string;
  /** NVIDIA pmon/XML type: C (compute), G (graphics), C+G. */
  kind?: string;
}

export interface GpuReading {
  devices: GpuDeviceReading[];
  procs: GpuProcReading[];
}
