import type { SourceStatus } from '../../../shared/engine-types.js';

export type { SourceHealth, SourceStatus } from '../../../shared/engine-types.js';

/**
 * The one interface every data source implements (processes, system CPU, each GPU vendor).
 * Modelled on a system monitor's reader lifecycle: probe, start, sample, stop.
 */

/** Whether a source can work on this machine; when not, a sentence a user can act on. */
export type Availability = { ok: true; detail?: string } | { ok: false; reason: string };

export interface Collector<T> {
  /** Stable id, e.g. `procs.linux`, `gpu.nvidia`, `gpu.drm`. */
  readonly id: string;
  /** Human label, e.g. "NVIDIA GPUs (nvidia-smi)". */
  readonly label: string;
  /** Probes the source without starting anything long-lived. Never throws. */
  available(): Promise<Availability>;
  /** Starts long-lived resources (child processes, handles). Never throws; failures show in status(). */
  start(): Promise<void>;
  /** Releases everything start() acquired. Idempotent. */
  stop(): Promise<void>;
  /**
   * One reading. `nowMs` is a monotonic-ish wall clock in ms (Date.now() live) used for rate maths.
   * Must not throw for transient failures (a process exiting mid-read, a child restarting):
   * it returns what it has and reports the failure through status().
   */
  sample(nowMs: number): Promise<T>;
  /** Current health, cheap to call every tick. */
  status(): SourceStatus;
}
