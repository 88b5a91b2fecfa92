import { type EngineSample, HISTORY_TOP_PROCS, type HistoryPoint } from '../../shared/engine-types.js';

/**
 * Fixed-capacity ring of compact history points. Memory is bounded by construction:
 * capacity × (a few numbers + at most HISTORY_TOP_PROCS small records), about 2 KB a point,
 * so the default 3,600 points (one hour at 1 s) stay under ~8 MB whatever the process count.
 */
export class History {
  private readonly points: (HistoryPoint | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity = 3600) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`history capacity must be a positive integer, got ${capacity}`);
    this.points = new Array(capacity);
  }

  push(sample: EngineSample): HistoryPoint {
    const point = compact(sample);
    this.points[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    return point;
  }

  /** Oldest first. */
  toArray(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const p = this.points[(start + i) % this.capacity];
      if (p) out.push(p);
    }
    return out;
  }

  get length(): number {
    return this.size;
  }
}

function weight(p: { cpu: number; gpu: number | null }): number {
  return Math.max(p.cpu, p.gpu ?? 0);
}

/** Keeps the busiest processes only: selection without sorting the whole list. */
export function compact(s: EngineSample): HistoryPoint {
  const top: HistoryPoint['top'] = [];
  for (const p of s.procs) {
    const w = weight(p);
    if (w <= 0) continue;
    if (top.length === HISTORY_TOP_PROCS && w <= weight(top[top.length - 1]!)) continue;
    const entry = { pid: p.pid, startTimeMs: p.startTimeMs, name: p.name, cpu: p.cpu, gpu: p.gpu };
    let i = top.length;
    while (i > 0 && weight(top[i - 1]!) < w) i--;
    top.splice(i, 0, entry);
    if (top.length > HISTORY_TOP_PROCS) top.pop();
  }
  return {
    at: s.at,
    userState: s.user.state,
    cpu: s.system.cpu,
    gpus: s.gpus.map((g) => ({ id: g.id, util: g.util })),
    top,
  };
}
