import type { ProcessIdentity } from '../../../shared/identity.js';
import type { Collector } from './collector.js';

export interface ProcReading extends ProcessIdentity {
  /** Percent of ONE core over the last interval (0..100 * cores). */
  cpu: number;
  /** Resident memory in KiB, when known. */
  rssKiB: number | null;
}

export interface ProcsReading {
  procs: ProcReading[];
  /** Processes whose identity could not be fully read (permission denied: other users' processes). */
  unreadable: number;
  /** False when only busy and watched processes were re-read (the others carry their last reading). */
  full: boolean;
  /**
   * Set when `procs` is the very array of the previous reading, with the same process at every
   * index, and only the readings at `reread` were read again (their figures updated in place).
   * Lets the sampler rebuild just those rows; absent whenever anything else may have changed.
   */
  same?: { reread: readonly number[]; indexOf(pid: number): number | undefined };
}

export interface ProcsSampleOptions {
  /** Default true. False: re-read only processes that were busy or are in `watch`. */
  full?: boolean;
  /** Pids to re-read even when quiet (e.g. processes using a GPU). */
  watch?: Iterable<number>;
}

/** The process collector contract: a Collector whose sample() takes a full/hot hint. */
export interface ProcsCollector extends Collector<ProcsReading> {
  sample(nowMs: number, opts?: ProcsSampleOptions): Promise<ProcsReading>;
}
