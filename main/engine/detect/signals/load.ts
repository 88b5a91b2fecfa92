/**
 * One load series of one process (its GPU share, or its CPU share), kept as a few numbers rather
 * than a history: a smoothed level, whether it is busy (with hysteresis), when the current busy
 * run began, a time-weighted mean and variance of the run, and how long it has been busy while
 * the user was away. Everything is driven by the samples' `t` deltas, so any sampling interval
 * and any gap give the same answers.
 */

export type LoadKind = 'gpu' | 'cpu';

export interface LoadThresholds {
  /** Smoothed level at which the series counts as busy. */
  on: number;
  /** ... and below which it counts as quiet again (hysteresis against flicker). */
  off: number;
  /** Minimum mean for the steady-load rule (a flat 3% is an idle process, not hashing). */
  steadyMin: number;
  /** Largest coefficient of variation that counts as flat... */
  steadyCv: number;
  /** ... except that noise this small (in points) is flat at any level (readings jitter by a few points). */
  sdFloor: number;
  /** A step between readings must exceed this many points (and REGIME_JUMP of the level) to be a change of regime. */
  stepFloor: number;
}

/**
 * GPU: 15% of a GPU sustained is more than any desktop compositor while nobody draws. CPU: a
 * quarter of one core sustained is more than daemons show; throttled miners still clear it.
 * Flat: hashing holds within a few percent; games (frame pacing, menus) and renders (tiles,
 * scene loads) move by 10% or more.
 */
export const THRESHOLDS: Record<LoadKind, LoadThresholds> = {
  gpu: { on: 15, off: 8, steadyMin: 20, steadyCv: 0.05, sdFloor: 3, stepFloor: 12 },
  cpu: { on: 25, off: 12, steadyMin: 50, steadyCv: 0.05, sdFloor: 5, stepFloor: 20 },
};

/** Smoothing time constant for the busy decision: one noisy sample neither starts nor ends a run. */
export const SMOOTH_MS = 6000;
/** Time constant of the flatness statistics: the last minute or so decides. */
export const STEADY_MS = 60_000;
/**
 * A step between two readings this large (relative to the level) is a change of regime (a
 * warm-up ramp, a scene change, a pause): flatness is then judged afresh from there. Hashing
 * never does this once it runs; games, renders and bursty work do, and keep restarting.
 */
export const REGIME_JUMP = 0.3;

export class LoadChannel {
  readonly thr: LoadThresholds;
  /** Last reading (0 when the process reported none). */
  raw = 0;
  /** Smoothed level. */
  level = 0;
  busy = false;
  /** Start of the current busy run (the interval before the first reading above `on`). */
  busySince = 0;
  /** When the series last turned quiet (or the process was first seen). */
  quietSince: number;
  /** End of the previous busy run, -Infinity when none. */
  lastRunEnd = Number.NEGATIVE_INFINITY;
  /** Start of the previous busy run. */
  lastRunStart = Number.NEGATIVE_INFINITY;
  private candidateT: number | null = null;
  /** Busy-run statistics (time-weighted, exponentially forgetting). */
  runMs = 0;
  /** Mean since the flatness statistics (re)started. */
  runMean = 0;
  /**
   * Half the mean squared step between consecutive readings: for noise around a level it is the
   * variance, while a slow drift or a ramp barely adds to it (unlike the variance around a mean).
   */
  private stepVar = 0;
  private prevRaw = 0;
  /** Time since the flatness statistics were (re)started. */
  statsMs = 0;
  /** Current stretch of busy-while-away time, and the load summed over it (value x ms). */
  awayRunMs = 0;
  awayRunSum = 0;
  /** Longest such stretch, with its mean. */
  maxAwayRunMs = 0;
  maxAwayRunMean = 0;

  constructor(
    readonly kind: LoadKind,
    firstSeenT: number,
  ) {
    this.thr = THRESHOLDS[kind];
    this.quietSince = firstSeenT;
  }

  /**
   * Feeds one reading covering the `dt` ms before `t`. `away`: the user is idle or locked.
   * Returns true when the series is busy after the reading.
   */
  update(raw: number, t: number, dt: number, away: boolean): boolean {
    this.raw = raw;
    if (!this.busy && raw === 0 && this.level < 0.05) {
      // The common case for almost every process: nothing to do.
      this.level = 0;
      this.candidateT = null;
      return false;
    }
    this.level += (1 - Math.exp(-dt / SMOOTH_MS)) * (raw - this.level);
    if (!this.busy) {
      if (raw >= this.thr.on) {
        if (this.candidateT === null) this.candidateT = t - dt;
      } else if (raw < this.thr.off) {
        this.candidateT = null;
      }
      if (this.level >= this.thr.on) {
        this.busy = true;
        this.busySince = this.candidateT ?? t - dt;
        this.candidateT = null;
        this.runMs = 0;
        this.restartStats(raw);
      }
    } else if (this.level < this.thr.off) {
      this.endRun(t);
      return false;
    }
    if (!this.busy) return false;
    this.runMs += dt;
    const step = raw - this.prevRaw;
    if (Math.abs(step) > Math.max(REGIME_JUMP * this.level, this.thr.stepFloor)) {
      this.restartStats(raw);
    } else {
      const a = 1 - Math.exp(-dt / STEADY_MS);
      this.statsMs += dt;
      this.runMean += a * (raw - this.runMean);
      this.stepVar += a * ((step * step) / 2 - this.stepVar);
      this.prevRaw = raw;
    }
    if (away) {
      this.awayRunMs += dt;
      this.awayRunSum += raw * dt;
      if (this.awayRunMs > this.maxAwayRunMs) {
        this.maxAwayRunMs = this.awayRunMs;
        this.maxAwayRunMean = this.awayRunSum / this.awayRunMs;
      }
    } else {
      this.awayRunMs = 0;
      this.awayRunSum = 0;
    }
    return true;
  }

  /** A gap too long to bridge (a suspend): the run, if any, ends at the last reading. */
  interrupt(lastT: number): void {
    if (this.busy) this.endRun(lastT);
    this.level = 0;
    this.candidateT = null;
  }

  private restartStats(raw: number): void {
    this.runMean = raw;
    this.stepVar = 0;
    this.prevRaw = raw;
    this.statsMs = 0;
  }

  private endRun(t: number): void {
    this.busy = false;
    this.lastRunStart = this.busySince;
    this.lastRunEnd = t;
    this.quietSince = t;
    this.runMs = 0;
    this.awayRunMs = 0;
    this.awayRunSum = 0;
  }

  /** Mean of the current away stretch. */
  get awayRunMean(): number {
    return this.awayRunMs > 0 ? this.awayRunSum / this.awayRunMs : 0;
  }

  /** Noise of the run (from consecutive steps), corrected for the forgetting's start-up bias. */
  get runSd(): number {
    if (this.statsMs <= 0) return 0;
    const w = 1 - Math.exp(-this.statsMs / STEADY_MS);
    return Math.sqrt(Math.max(0, this.stepVar / w));
  }

  /** Flat enough, high enough and long enough (without a change of regime) to call hashing-like. */
  steady(minRunMs: number): boolean {
    if (!this.busy || this.statsMs < minRunMs || this.runMean < this.thr.steadyMin) return false;
    return this.runSd <= Math.max(this.thr.steadyCv * this.runMean, this.thr.sdFloor);
  }
}
