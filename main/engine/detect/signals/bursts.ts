/**
 * Regular bursts while away. A miner that works in short bursts (a few seconds of full load, then
 * half a minute of nothing, over and over) never keeps a load up long enough for the idle-load
 * rules, and its average stays low. What gives it away is the clock: bursts of the same length at
 * the same period, begun only after the user left. Work people cause (requests to a model server,
 * a sync client's uploads, an indexer) comes at irregular times, and was bursting while they were
 * here too.
 *
 * Pure: the detector reports each busy run that ends while the user is away.
 */
import type { LoadKind } from './load.js';
import { kindName, seconds } from './text.js';

/** A run longer than this is no burst (the idle-load rules see it). */
export const BURST_MAX_MS = 60_000;
/** A quiet gap longer than this ends the series (a pause, not a duty cycle). */
export const BURST_GAP_MAX_MS = 120_000;
/** This many bursts in a row make a series... */
export const BURST_MIN_COUNT = 4;
/** ... when their periods and lengths vary this little (coefficient of variation). */
export const BURST_PERIOD_CV = 0.15;
export const BURST_ON_CV = 0.35;
/** How many recent bursts are kept. */
const KEEP = 8;

export interface BurstSeries {
  kind: LoadKind;
  /** Recent bursts, oldest first: start, end (ms) and mean level. */
  runs: { start: number; end: number; level: number }[];
  /** Start of the first burst of the unbroken series (older ones are no longer kept). */
  since: number;
}

export function newSeries(kind: LoadKind): BurstSeries {
  return { kind, runs: [], since: 0 };
}

/** Notes one busy run that just ended; a long run or a long gap starts the series afresh. */
export function noteBurst(s: BurstSeries, start: number, end: number, level: number): void {
  const prev = s.runs[s.runs.length - 1];
  if (end - start > BURST_MAX_MS || (prev && start - prev.end > BURST_GAP_MAX_MS)) s.runs = [];
  if (end - start > BURST_MAX_MS) return;
  if (s.runs.length === 0) s.since = start;
  s.runs.push({ start, end, level });
  if (s.runs.length > KEEP) s.runs.shift();
}

function cv(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (mean <= 0) return Number.POSITIVE_INFINITY;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return sd / mean;
}

export interface BurstVerdict {
  count: number;
  periodMs: number;
  onMs: number;
  level: number;
  firstStart: number;
}

/** The series as a clock-driven duty cycle, or null when it is not (yet) one. */
export function regularBursts(s: BurstSeries): BurstVerdict | null {
  const r = s.runs;
  if (r.length < BURST_MIN_COUNT) return null;
  const periods = r.slice(1).map((x, i) => x.start - r[i]!.start);
  const ons = r.map((x) => x.end - x.start);
  if (cv(periods) > BURST_PERIOD_CV || cv(ons) > BURST_ON_CV) return null;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    count: r.length,
    periodMs: mean(periods),
    onMs: mean(ons),
    level: mean(r.map((x) => x.level)),
    firstStart: s.since,
  };
}

/** "GPU 95% in bursts of 8 s every 34 s while you were away". */
export function burstLoadDetail(kind: LoadKind, v: BurstVerdict): string {
  return `${kindName(kind)} ${Math.round(v.level)}% in bursts of ${seconds(v.onMs)} every ${seconds(v.periodMs)} while you were away`;
}

/** "GPU bursts of 8 s every 34 s (4 in a row), as regular as a timer: ...". */
export function burstDetail(kind: LoadKind, v: BurstVerdict): string {
  return `${kindName(kind)} bursts of ${seconds(v.onMs)} every ${seconds(v.periodMs)} (${v.count} in a row), as regular as a timer: a miner keeping its average low`;
}
