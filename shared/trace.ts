/**
 * Types of the trace format v1 (described in `docs/trace-format.md`).
 * Shared by the recorder, the replayer, the sampler and the renderer.
 */

export const TRACE_FORMAT = 'idlewatch-trace';
export const TRACE_VERSION = 1;

export type Platform = 'linux' | 'win32' | 'darwin';
export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'other';
export type UserState = 'active' | 'idle' | 'locked' | 'unknown';

export interface TraceGpu {
  id: string;
  vendor: GpuVendor;
  name: string;
  memoryMiB: number | null;
}

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  startedAt: string;
  intervalMs: number;
  idleThresholdSec: number;
  host: { platform: Platform; cpuCores: number; gpus: TraceGpu[] };
}

export interface TraceUser {
  state: UserState;
  idleSec: number | null;
  inhibitors?: string[];
}

export interface TraceSystemGpu {
  id: string;
  util: number | null;
  memUsedMiB: number | null;
}

export interface TraceConn {
  proto: string;
  remote: string;
  state: string;
}

export interface TraceProc {
  pid: number;
  ppid?: number;
  name?: string;
  exe?: string | null;
  cmdline?: string;
  user?: string | null;
  startT?: number;
  cpu?: number;
  gpu?: number | null;
  gpuMemMiB?: number | null;
  conns?: TraceConn[];
}

export interface TraceSample {
  t: number;
  user: TraceUser;
  system: { cpu: number | null; gpus: TraceSystemGpu[] };
  procs: TraceProc[];
}
