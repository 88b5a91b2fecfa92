/**
 * The person at the machine: when input arrives, when the screen is locked, which applications
 * hold an idle inhibitor. `idleSec` is the time since the last input (as X11, Mutter and Windows
 * report it); it grows while nobody touches the machine and resets on any input, and `state`
 * follows the same rule the recorder applies with its idle threshold.
 */
import type { UserState } from '../../shared/trace.js';
import type { Span } from './model.js';
import type { Rng } from './prng.js';

export interface Inhibitor extends Span {
  name: string;
}

export class Timeline {
  constructor(
    readonly thresholdSec: number,
    readonly durationMs: number,
    /** Input times, sorted; the first is before t = 0. */
    readonly inputs: readonly number[],
    readonly locks: readonly Span[],
    readonly inhibitors: readonly Inhibitor[],
    /** No idle source works on this machine: state `unknown`, idleSec null. */
    readonly unknown = false,
  ) {}

  /** Index of the last input at or before t (-1 when none). */
  private lastIndex(t: number): number {
    let lo = 0;
    let hi = this.inputs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.inputs[mid] as number) <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  lastInputAt(t: number): number {
    const i = this.lastIndex(t);
    return i < 0 ? Number.NEGATIVE_INFINITY : (this.inputs[i] as number);
  }

  /** The first input strictly after t (Infinity when none before the end). */
  nextInputAfter(t: number): number {
    const i = this.lastIndex(t) + 1;
    return i < this.inputs.length ? (this.inputs[i] as number) : Number.POSITIVE_INFINITY;
  }

  idleSec(t: number): number {
    return (t - this.lastInputAt(t)) / 1000;
  }

  lockAt(t: number): Span | null {
    for (const l of this.locks) if (l.from <= t && t < l.to) return l;
    return null;
  }

  state(t: number): UserState {
    if (this.unknown) return 'unknown';
    if (this.lockAt(t)) return 'locked';
    return this.idleSec(t) >= this.thresholdSec ? 'idle' : 'active';
  }

  inhibitorsAt(t: number): string[] {
    const names: string[] = [];
    for (const i of this.inhibitors) if (i.from <= t && t < i.to && !names.includes(i.name)) names.push(i.name);
    return names;
  }

  /**
   * Stretches without input lasting at least `minSec`: [last input, next input). The end is the
   * input that ends it (or the end of the trace plus a margin when nobody came back).
   */
  quietGaps(minSec: number): Span[] {
    const gaps: Span[] = [];
    const end = this.durationMs + 60_000;
    for (let i = 0; i < this.inputs.length; i++) {
      const from = this.inputs[i] as number;
      const to = i + 1 < this.inputs.length ? (this.inputs[i + 1] as number) : end;
      if (to - from >= minSec * 1000 && to > 0) gaps.push({ from, to });
    }
    return gaps;
  }

  /** Work windows of a process that starts once input has been absent `afterIdleSec` (+ delay) and
   * stops `stopSec` after the next input: how idle-triggered software (miners, screensavers,
   * OS idle tasks) behaves. Windows shorter than `minRunSec` are dropped. */
  idleWindows(
    afterIdleSec: number,
    delaySec: (gap: Span) => number,
    stopSec: (gap: Span) => number,
    minRunSec = 0,
  ): Span[] {
    const out: Span[] = [];
    for (const gap of this.quietGaps(afterIdleSec)) {
      const from = gap.from + (afterIdleSec + delaySec(gap)) * 1000;
      const to = gap.to + stopSec(gap) * 1000;
      if (from < gap.to && to - from >= minRunSec * 1000 && from < this.durationMs)
        out.push({ from, to: Math.min(to, this.durationMs + 60_000) });
    }
    return out;
  }

  /** Work windows tied to the screen lock: from lock + delay to unlock + stop. */
  lockWindows(delaySec: (lock: Span) => number, stopSec: (lock: Span) => number): Span[] {
    return this.locks
      .map((l) => ({ from: l.from + delaySec(l) * 1000, to: l.to + stopSec(l) * 1000 }))
      .filter((w) => w.from < w.to && w.from < this.durationMs);
  }
}

/** How the person uses the machine during an active stretch. */
export interface ActiveStyle {
  /** Mean gap between inputs while typing or moving the mouse, seconds. */
  busyGapSec: number;
  /** Chance that a gap is a pause to read or think (2–15 s). */
  pauseP: number;
  /** Chance that a gap is a long pause (15–50 s: reading a page, a phone call); still under the threshold. */
  longPauseP: number;
}

const DEFAULT_STYLE: ActiveStyle = { busyGapSec: 0.9, pauseP: 0.2, longPauseP: 0.02 };

/**
 * Builds a timeline period by period. Every away period ends with input (the person comes back),
 * unless it is the last one and runs to the end of the trace.
 */
export class TimelineBuilder {
  private readonly inputs: number[] = [];
  private readonly locks: Span[] = [];
  private readonly inhibitors: Inhibitor[] = [];
  private t = 0;
  private unknown = false;

  constructor(
    private readonly rng: Rng,
    readonly thresholdSec: number,
    private readonly style: ActiveStyle = DEFAULT_STYLE,
  ) {
    // The last input before the recording started.
    this.inputs.push(-Math.round(rng.range(200, 4000)));
  }

  get now(): number {
    return this.t;
  }

  /** Someone using the machine for `sec` seconds. */
  active(sec: number): this {
    const end = this.t + sec * 1000;
    let at = Math.max(this.t, (this.inputs[this.inputs.length - 1] ?? 0) + 50);
    // Long pauses stay below the threshold: a reading pause that crossed it would be an away period.
    const longMax = Math.min(50, this.thresholdSec * 0.85);
    while (at < end) {
      this.inputs.push(Math.round(at));
      const r = this.rng.next();
      let gap: number;
      if (r < this.style.longPauseP) gap = this.rng.range(15, longMax);
      else if (r < this.style.longPauseP + this.style.pauseP) gap = this.rng.range(2, 15);
      else gap = this.rng.exp(this.style.busyGapSec) + 0.05;
      at += gap * 1000;
    }
    this.t = end;
    return this;
  }

  /** Nobody at the machine for `sec` seconds; input arrives at the end (the return). */
  away(sec: number, opts: { inhibitor?: string } = {}): this {
    const from = this.t;
    this.t += sec * 1000;
    if (opts.inhibitor) this.inhibitors.push({ from, to: this.t, name: opts.inhibitor });
    return this;
  }

  /**
   * The screen gets locked: by hand (`lockAfterSec` 0: Super+L / Win+L, itself an input) or by the
   * desktop after `lockAfterSec` without input. The person comes back after `sec` seconds in all,
   * moves the mouse and types the password for `unlockSec` seconds while still locked.
   */
  locked(sec: number, opts: { lockAfterSec?: number; unlockSec?: number } = {}): this {
    const lockAfter = opts.lockAfterSec ?? 0;
    const unlockSec = opts.unlockSec ?? this.rng.range(3, 10);
    const from = this.t;
    if (lockAfter === 0) this.inputs.push(Math.round(from));
    const lockFrom = from + lockAfter * 1000;
    const back = from + sec * 1000;
    const unlock = back + unlockSec * 1000;
    // The return: a mouse move wakes the lock screen, then the password is typed.
    for (let at = back; at < unlock; at += this.rng.range(0.15, 0.6) * 1000) this.inputs.push(Math.round(at));
    this.locks.push({ from: Math.round(lockFrom), to: Math.round(unlock) });
    this.t = unlock;
    return this;
  }

  /** The machine has no working idle source (a Wayland session nobody answers for). */
  noIdleSource(): this {
    this.unknown = true;
    return this;
  }

  build(durationMs = this.t): Timeline {
    // The return input closes each away period; the period after it is active by construction.
    const inputs = [...new Set(this.inputs)].sort((a, b) => a - b);
    return new Timeline(this.thresholdSec, durationMs, inputs, this.locks, this.inhibitors, this.unknown);
  }
}
