/**
 * Turning evidence into a severity and a 0..1 score.
 *
 * Every rule contributes points (roughly log-odds that the process is a miner). They add up;
 * benign evidence subtracts. Severity comes from fixed thresholds, shifted by the sensitivity
 * setting. The weights follow the research and our own look-alike list: *when* a load happens
 * (only while you are away, starting after you leave, stopping when you return) and *where* a
 * program comes from are strong; how heavy the load is, is weak, because games, renders and
 * backups are heavy too.
 *
 * Designed combinations (normal sensitivity: low >= 1, medium >= 2.5, high >= 4):
 *  - a GPU load that starts after you leave: 1.5 + 1.2 = 2.7, medium about 20 s after it starts;
 *    flat like hashing +0.8 = 3.5; gone within seconds of your return +2.0 = 5.5, high.
 *  - a CPU load that starts after you leave, one core or more and flat: 1.1 + 1.2 + 0.8 = 3.1, medium.
 *  - a game or render left running: 1.5 (+0.8 when flat) = 2.3, low; it kept going after you came
 *    back: -1.5. A flat GPU load with an idle CPU (1.3 instead of 0.8) is not what games and
 *    renders do: 2.8, medium, and no relief.
 *  - mining marks in the command line: 3.2, medium at once; with a flat load (+0.8) or a pool
 *    connection (+1.0), high. A miner's name alone: 2.5 (names are easy to borrow).
 *  - a kernel-thread or system-program impostor: 2.5, medium at once.
 *  - GPU and CPU both busy while away count once (the GPU rule): that is a game or a training
 *    run feeding its GPU, not two signs.
 *  - a pool port alone: 1.0, low (pools also listen on 443, and other software uses these ports).
 *  - short bursts while away, as regular as a timer, begun after you left: the idle-load weight,
 *    steady-load 0.8 for the timer, onset 1.2: GPU 3.5, CPU 2.8 (+0.3), medium after four bursts.
 *  - hid from a process monitor or Idlewatch's window: 1.2 once, 2.0 twice or more, low alone; with
 *    a flat CPU load kept while you were away (0.8 + 0.3 + 0.8) it is medium, and it forfeits the
 *    kept-going relief (a job you started does not pause for an observer).
 */
import type { Reason, RuleId, Severity } from '../../../shared/detection.js';
import type { Sensitivity } from '../../../shared/settings.js';

export const WEIGHTS = {
  /** GPU kept busy for at least SUSTAIN_MS while you were away. */
  gpuIdle: 1.5,
  /** ... and for five minutes or more at a stretch (not for loads that were running before you left). */
  gpuIdleLong: 1.8,
  /** CPU alone is weaker: indexers, updates and builds use CPU while you are away too. */
  cpuIdle: 0.8,
  /** Added when the CPU load is a full core or more. */
  cpuIdleHeavy: 0.3,
  /** Added when it lasts five minutes or more at a stretch (not for loads running before you left). */
  cpuIdleLong: 0.3,
  /** The load began only after you left (or the process started after you left). */
  onset: 1.2,
  /**
   * Added to onset for a program from a game library: a game left running was busy before you
   * left; one that gets to work only after you left is a miner shaped like a game.
   */
  gameOnset: 0.5,
  /** The load fell within seconds of your return: the stealth miner's mark. */
  stops: 2.0,
  /** Flat load, as hashing is. */
  steady: 0.8,
  /** Flat GPU load with the CPU nearly idle: kernels running on their own, as GPU hashing does. */
  steadyGpuOnly: 1.3,
  /** Command-line marks of mining (stratum URL, --donate-level, a pool host, a wallet). */
  signatureStrong: 3.2,
  /** Only the name of a known miner. */
  signatureName: 2.5,
  /** Name and command-line marks together. */
  signatureBoth: 3.7,
  /** Weak marks together (--cuda and --coin and a server address). */
  signatureWeak: 1.5,
  /** An established connection to a stratum port. */
  pool: 1.0,
  /**
   * A connection to an address the resolver cache maps to a mining domain, on any port (a pool on
   * 443 included). Below medium alone: a browser-mining domain may sit behind a CDN address that
   * other sites share; with load while you were away it is medium or high.
   */
  poolDomain: 2.0,
  /** Runs from a temp, cache, hidden or shared folder. */
  location: 1.0,
  /** ... and keeps a CPU or GPU busy: droppers do, installers run briefly. */
  locationLoaded: 1.5,
  /** Its program file was deleted (not by an update of an installed program). */
  deleted: 1.0,
  deletedLoaded: 1.5,
  /** Run from memory (memfd_create), no file at all: droppers do this, ordinary software does not. */
  fileless: 2.0,
  /** An installed program whose file an update replaced: common, nearly meaningless. */
  deletedPackaged: 0.3,
  kernelImpostor: 2.5,
  systemImpostor: 2.5,
  /** A one-letter misspelling of a system name outside the system folder. */
  typoImpostor: 2.0,
  /**
   * Fell near zero when a process monitor (or Idlewatch's window) opened and came back after it
   * closed. Alone it stays low: a game that pauses when it loses focus can do this once or twice.
   */
  hides: 1.2,
  /** ... in two or more separate watches: chance no longer explains it. */
  hidesTwice: 2.0,
  /**
   * Short bursts while away as regular as a timer (same length, same period), under steady-load:
   * a duty-cycled miner keeping its average low; people's work comes at odd times.
   */
  burstsRegular: 0.8,
  /** A browser process with the away-only pattern: labelled, and a little extra. */
  browserIdle: 0.5,
  /** A game or render whose load was already running before you left. */
  benignContinuing: -1.0,
  /** Busy before you left and still busy after you came back: a job you started, not a hider. */
  keptGoing: -1.5,
} as const;

export const THRESHOLDS: Record<Sensitivity, { low: number; medium: number; high: number }> = {
  low: { low: 1.2, medium: 3.0, high: 4.8 },
  normal: { low: 1.0, medium: 2.5, high: 4.0 },
  high: { low: 0.8, medium: 2.0, high: 3.4 },
};

/** One rule's contribution. */
export interface Evidence {
  points: number;
  detail: string;
}

export interface Assessment {
  points: number;
  /** null: not enough evidence for an incident. */
  severity: Severity | null;
  score: number;
  reasons: Reason[];
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

export function severityRank(s: Severity | null): number {
  return s === null ? -1 : SEVERITY_RANK[s];
}

/** Score in 0..1: 1 - e^(-points/2.5), so medium starts near 0.63 and high near 0.80. */
export function scoreOf(points: number): number {
  if (points <= 0) return 0;
  return Math.min(0.99, Math.round((1 - Math.exp(-points / 2.5)) * 100) / 100);
}

/**
 * Adds up the evidence. `capLow` (allowlisted, or credible benign work) keeps the severity at low
 * and the score below the medium mark, whatever the sum.
 */
export function assess(evidence: ReadonlyMap<RuleId, Evidence>, sensitivity: Sensitivity, capLow: boolean): Assessment {
  let points = 0;
  const reasons: Reason[] = [];
  // One load seen twice: a GPU job keeps a CPU core busy feeding it, so with GPU load while away
  // the CPU part adds nothing (GPU miners barely use CPU; training and games use both).
  const gpuToo = evidence.has('gpu-while-idle');
  for (const [rule, e] of evidence) {
    if (!(rule === 'cpu-while-idle' && gpuToo)) points += e.points;
    reasons.push({ rule, detail: e.detail });
  }
  const t = THRESHOLDS[sensitivity];
  let severity: Severity | null =
    points >= t.high ? 'high' : points >= t.medium ? 'medium' : points >= t.low ? 'low' : null;
  let score = scoreOf(points);
  if (capLow && severity !== null) {
    severity = 'low';
    score = Math.min(score, scoreOf(t.medium) - 0.01);
  }
  return { points, severity, score, reasons };
}
