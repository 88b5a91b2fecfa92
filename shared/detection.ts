/**
 * Detection results as the CLI (`replay --json`), the app and the renderer see them.
 * `ReplayOutput` is the replay output described in `docs/trace-format.md`.
 */

export type Severity = 'low' | 'medium' | 'high';

/** Named rules; each reason carries its own evidence text. */
export type RuleId =
  | 'gpu-while-idle'
  | 'cpu-while-idle'
  | 'onset-after-idle'
  | 'stops-on-activity'
  | 'steady-load'
  | 'miner-signature'
  | 'pool-connection'
  | 'temp-folder-executable'
  | 'deleted-executable'
  | 'kernel-thread-impostor'
  | 'system-name-impostor'
  | 'browser-idle-load'
  | 'remote-session'
  | 'scheduled-respawn'
  | 'hides-when-watched'
  | 'benign-idle-work';

export interface Reason {
  rule: RuleId;
  /** Evidence in words a gamer understands: "GPU 95% for 22 s while idle 75 s". */
  detail: string;
}

/**
 * What a process was before it replaced its program (exec): same pid and start time, another
 * name, executable and arguments. `until` is when the change was seen, in the incident's clock.
 */
export interface PriorIdentity {
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  until: number;
}

export interface Incident {
  pid: number;
  /** Process start time in trace ms (with pid: the process identity). */
  startT: number;
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  severity: Severity;
  /** 0..1 */
  score: number;
  /** t of the first sample at which it reached medium+ (low incidents: first raised). */
  firstAt: number;
  /** t of the last sample it covers. */
  lastAt: number;
  reasons: Reason[];
  /** Seconds of GPU-percent and CPU-percent time while the user was idle or locked (e.g. 95% for 10 s = 9.5 GPU·s). */
  idleGpuSec: number;
  idleCpuSec: number;
  /**
   * True when an allowlist entry covers the process and silences it: recorded, never alerted.
   * False when an entry covers it but hostile evidence overrides it (see allowlistedBut).
   */
  allowlisted: boolean;
  /**
   * "allowlisted, but connected to …": an entry covers the process, and hostile evidence (a pool
   * connection, miner marks) that no entry excuses was seen. Reported at its own severity.
   */
  allowlistedBut?: string;
  /**
   * The identities the process had before the one this incident names, oldest first; absent when it
   * never replaced its program. The incident names the program that did the work it reports.
   */
  was?: PriorIdentity[];
}

/** One incident in the replay output (the shared format's fields, in its order). */
export interface ReplayIncident {
  pid: number;
  name: string;
  exe: string | null;
  severity: Severity;
  score: number;
  firstAt: number;
  lastAt: number;
  reasons: Reason[];
  /** Only when the process replaced its program: what it was before (name, exe, until). */
  was?: { name: string; exe: string | null; until: number }[];
}

export interface ReplayOutput {
  trace: string;
  samples: number;
  incidents: ReplayIncident[];
}

/** "While you were away": written when the user returns after an idle or locked period. */
export interface AwaySummary {
  /** When the away period began and ended: trace ms in replays, epoch ms from the live monitor and the app. */
  from: number;
  to: number;
  processes: {
    pid: number;
    startT: number;
    name: string;
    exe: string | null;
    busySec: number;
    gpuSec: number;
    cpuSec: number;
    severity: Severity | null;
  }[];
}
