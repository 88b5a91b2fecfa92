/**
 * What the engine produces each tick, as the CLI, the Electron shell and the renderer see it.
 * The trace format (trace.ts) is the on-disk projection of the same data.
 */
import type { ProcessIdentity } from './identity.js';
import type { GpuVendor, TraceConn, TraceUser, UserState } from './trace.js';

/** Live health of one data source. `degraded`: it worked and then failed (it keeps retrying). */
export type SourceHealth = 'ok' | 'degraded' | 'unavailable';

export interface SourceStatus {
  id: string;
  label: string;
  health: SourceHealth;
  /** Why the source is degraded or unavailable, or a short note on what it uses when ok. */
  detail: string;
}

export interface EngineProc extends ProcessIdentity {
  /** Percent of one core over the last interval. */
  cpu: number;
  /** Percent of its busiest GPU (all engines), null when not measured. */
  gpu: number | null;
  gpuMemMiB: number | null;
  /** Id of the GPU `gpu` refers to. */
  gpuId: string | null;
  rssKiB: number | null;
  /**
   * Its open network connections as last read (Linux: refreshed on full passes for busy, new and
   * connected processes, carried between them). Absent when not read; `[]` once after they closed.
   */
  conns?: TraceConn[];
}

export interface EngineGpu {
  id: string;
  vendor: GpuVendor;
  name: string;
  memoryMiB: number | null;
  util: number | null;
  memUsedMiB: number | null;
}

export interface EngineUser extends TraceUser {
  /** Id of the idle source that produced this reading, null when none works. */
  source: string | null;
}

export interface EngineSample {
  /** Wall-clock time of the sample, epoch ms. */
  at: number;
  user: EngineUser;
  system: { cpu: number | null; cores: number };
  gpus: EngineGpu[];
  procs: EngineProc[];
  /** Processes whose identity could not be read (permission denied). */
  unreadable: number;
  /** How long the engine spent producing this sample (wall ms), for the overhead readout. */
  tickMs: number;
}

/** A compact history point: enough for charts and "what was busy" without every process. */
export interface HistoryPoint {
  at: number;
  userState: UserState;
  cpu: number | null;
  gpus: { id: string; util: number | null }[];
  /** The busiest processes of that tick (by max of GPU and CPU share), at most HISTORY_TOP_PROCS. */
  top: { pid: number; startTimeMs: number; name: string; cpu: number; gpu: number | null }[];
}

export const HISTORY_TOP_PROCS = 16;

export interface EngineSnapshot {
  latest: EngineSample | null;
  sources: SourceStatus[];
  history: HistoryPoint[];
  intervalMs: number;
  idleThresholdSec: number;
  platform: string;
}

/** A sample as the window receives it each tick: everything but the process list (see proc-stream.ts). */
export type SampleSummary = Omit<EngineSample, 'procs'> & {
  /** How many processes the sample listed. */
  procCount: number;
};

/** What the window asks for when it opens: the snapshot without process lists or per-process history. */
export interface WindowSnapshot extends Omit<EngineSnapshot, 'latest'> {
  latest: SampleSummary | null;
}

/** The sample without its process list. */
export function summarizeSample(s: EngineSample): SampleSummary {
  return {
    at: s.at,
    user: s.user,
    system: s.system,
    gpus: s.gpus,
    unreadable: s.unreadable,
    tickMs: s.tickMs,
    procCount: s.procs.length,
  };
}
