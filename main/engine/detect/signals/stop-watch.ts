/**
 * The stops-on-activity rule: the stealth miner's mark. When the user comes back, every load
 * that was going at full level is watched for a few seconds: it must fall within seconds of the
 * first input and stay down. It arrives late (with the user), and raises the incident then.
 */
import type { LoadKind } from './load.js';
import { kindName } from './text.js';

/** The load must fall within this long after the first input (plus one sampling interval)... */
export const STOP_FALL_MS = 5_000;
/** ... and stay down until this long after it (a pause between bursts is not a stop). */
export const STOP_CONFIRM_MS = 20_000;
/**
 * Only a load that had been going this long while the user was away is watched: a stealth miner
 * works the whole absence, while a short burst that happens to end at the return is chance (its
 * odds grow as the burst shrinks).
 */
export const STOP_MIN_RUN_MS = 60_000;

export interface StopWatch {
  kind: LoadKind;
  /** Mean level of the away stretch that was going at the return. */
  pre: number;
  /** The first input. */
  inputT: number;
  fellAt: number | null;
  fellTo: number;
  /** How long it had been busy while away at the return. */
  runMs: number;
}

export type WatchStep = 'waiting' | 'stopped' | 'kept-going' | 'resumed';

/**
 * One reading during the watch. `off` is the series' quiet threshold, `intervalMs` the nominal
 * sampling interval (a fall shows one reading late). `stopped`: fell in time and stayed down;
 * `kept-going`: still busy past the fall window; `resumed`: came back up (a pause, not a stop).
 */
export function stepWatch(
  w: StopWatch,
  raw: number,
  busy: boolean,
  t: number,
  off: number,
  intervalMs: number,
): WatchStep {
  const low = Math.max(off, 0.3 * w.pre);
  const fallBy = w.inputT + STOP_FALL_MS + intervalMs;
  if (w.fellAt === null) {
    if (raw <= low && t <= fallBy) {
      w.fellAt = t;
      w.fellTo = raw;
    } else if (t > fallBy) {
      return busy ? 'kept-going' : 'resumed';
    }
  } else if (raw > low) {
    return 'resumed';
  } else {
    w.fellTo = Math.min(w.fellTo, raw);
  }
  return w.fellAt !== null && t - w.inputT >= STOP_CONFIRM_MS ? 'stopped' : 'waiting';
}

/** "GPU fell 95% to 0% within 2 s of your input" (or: the process quit). */
export function stopDetail(w: StopWatch, fellAt: number, quit: boolean): string {
  const within = Math.max(1, Math.ceil((fellAt - w.inputT) / 1000));
  return quit
    ? `${kindName(w.kind)} ${Math.round(w.pre)}% and the process quit within ${within} s of your input`
    : `${kindName(w.kind)} fell ${Math.round(w.pre)}% to ${Math.round(w.fellTo)}% within ${within} s of your input`;
}
