import type { Collector } from './collector.js';

/** Who a process is. Read once per process (pid + start time), re-read when it execs. */
export interface ProcIdentity {
  pid: number;
  ppid: number;
  name: string;
  /** Full executable path; Linux keeps a ` (deleted)` suffix when the file was removed. Null when unreadable. */
  exe: string | null;
  /** Arguments joined by single spaces (attacker-controlled text: never pass it to a shell). */
  cmdline: string;
  user: string | null;
  /** Start time, epoch milliseconds. With pid it identifies the process across pid reuse. */
  startTimeMs: number;
}

export interface ProcReading extends ProcIdentity {
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

/** Stable identity key: pid alone is reused by the OS, pid + start time is not. */
export function procKey(pid: number, startTimeMs: number): string {
  return `${pid}@${startTimeMs}`;
}
