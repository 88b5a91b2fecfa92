/** The engine history the charts draw: bounded, one point per sample, with away periods as bands. */
import type { HistoryPoint, SampleSummary } from '../../../shared/engine-types.js';
import type { UserState } from '../../../shared/trace.js';

/** One hour at the default 1 s interval, as the engine keeps. */
export const HISTORY_MAX = 3600;

/** A sample as a history point; the per-tick process list is left out (the charts do not need it). */
export function sampleToPoint(s: SampleSummary): HistoryPoint {
  return {
    at: s.at,
    userState: s.user.state,
    cpu: s.system.cpu,
    gpus: s.gpus.map((g) => ({ id: g.id, util: g.util })),
    top: [],
  };
}

export function appendPoint(list: readonly HistoryPoint[], p: HistoryPoint, max = HISTORY_MAX): HistoryPoint[] {
  const last = list[list.length - 1];
  if (last && p.at <= last.at) return list as HistoryPoint[];
  const start = list.length + 1 > max ? list.length + 1 - max : 0;
  const next = list.slice(start);
  next.push(p);
  return next;
}

/** The snapshot's history followed by the points that arrived as events after it. */
export function mergeHistory(
  snapshot: readonly HistoryPoint[],
  live: readonly HistoryPoint[],
  max = HISTORY_MAX,
): HistoryPoint[] {
  const lastAt = snapshot[snapshot.length - 1]?.at ?? Number.NEGATIVE_INFINITY;
  const merged = [...snapshot, ...live.filter((p) => p.at > lastAt)];
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

export interface AwayBand {
  /** Epoch ms. */
  from: number;
  to: number;
  kind: 'idle' | 'locked';
}

/** Runs of idle or locked points; each run lasts until the next point. */
export function awayBands(points: readonly { at: number; userState: UserState }[]): AwayBand[] {
  const bands: AwayBand[] = [];
  let open: AwayBand | null = null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1];
    const kind = p.userState === 'idle' || p.userState === 'locked' ? p.userState : null;
    if (open && open.kind !== kind) {
      bands.push(open);
      open = null;
    }
    if (kind) {
      const to = next ? next.at : p.at;
      if (open) open.to = to;
      else open = { from: p.at, to, kind };
    }
  }
  if (open) bands.push(open);
  return bands;
}

/** Ids of the GPUs that appear in the history, in order of first appearance. */
export function gpuIds(points: readonly HistoryPoint[]): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    for (const g of p.gpus) {
      if (!seen.has(g.id)) {
        seen.add(g.id);
        ids.push(g.id);
      }
    }
  }
  return ids;
}

/** uPlot columns: x in seconds, then one y column per series. */
export function cpuColumns(points: readonly HistoryPoint[]): [number[], (number | null)[]] {
  return [points.map((p) => p.at / 1000), points.map((p) => p.cpu)];
}

export function gpuColumns(points: readonly HistoryPoint[], id: string): [number[], (number | null)[]] {
  return [points.map((p) => p.at / 1000), points.map((p) => p.gpus.find((g) => g.id === id)?.util ?? null)];
}
