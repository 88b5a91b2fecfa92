import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Availability } from '../platform/collector.js';
import type { IdleRead, IdleSource } from '../platform/idle.js';

/** Produces each reading; throwing makes the read fail, as a broken real source would. */
export type IdleScript = () => IdleRead | Promise<IdleRead>;

/** From `t` (ms on the timeline's clock) the idle time is `idleSec` and grows with the clock. */
export interface IdleTimelinePoint {
  t: number;
  idleSec: number | null;
  locked?: boolean;
}

export interface ScriptedIdleSourceOptions {
  /** Default 'idle.scripted'. Give each scripted source its own id when a monitor holds several. */
  id?: string;
  label?: string;
  /** What available() answers; a function is asked on every probe, so a source can come and go. */
  availability?: Availability | (() => Availability | Promise<Availability>);
}

export interface TimelineOptions extends ScriptedIdleSourceOptions {
  /** Current time on the timeline, in ms. Default: ms since the source was made (live use). */
  clock?: () => number;
}

/**
 * An idle source whose readings come from code or from a recorded timeline instead of the
 * desktop: used by tests, by the replayer (clock = the trace's time) and by simulations.
 */
export class ScriptedIdleSource implements IdleSource {
  readonly id: string;
  readonly label: string;
  /** How many times read() ran: lets tests and benchmarks measure how often the monitor polls. */
  readCount = 0;
  private readonly availability: ScriptedIdleSourceOptions['availability'];

  constructor(
    private readonly script: IdleScript,
    opts: ScriptedIdleSourceOptions = {},
  ) {
    this.id = opts.id ?? 'idle.scripted';
    this.label = opts.label ?? 'Scripted idle source';
    this.availability = opts.availability;
  }

  /** A source that plays back points such as `[{t: 0, idleSec: 0}, {t: 90_000, idleSec: 0, locked: true}]`. */
  static fromTimeline(points: readonly IdleTimelinePoint[], opts: TimelineOptions = {}): ScriptedIdleSource {
    const sorted = checkTimeline(points);
    const start = performance.now();
    const clock = opts.clock ?? (() => performance.now() - start);
    return new ScriptedIdleSource(() => timelineAt(sorted, clock()), opts);
  }

  /**
   * Loads a timeline from JSON Lines (optionally .gz): either `{"t":…,"idleSec":…,"locked":…}`
   * lines or the samples of an Idlewatch trace (`{"t":…,"user":{"state":…,"idleSec":…}}`), so a
   * recording can drive the monitor. Lines without a numeric `t` (a trace header) are skipped.
   */
  static async fromFile(path: string, opts: TimelineOptions = {}): Promise<ScriptedIdleSource> {
    const raw = await readFile(path);
    const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    return ScriptedIdleSource.fromTimeline(parseIdleTimeline(text, path), {
      label: `Idle timeline from ${path}`,
      ...opts,
    });
  }

  async available(): Promise<Availability> {
    const a = typeof this.availability === 'function' ? await this.availability() : this.availability;
    return a ?? { ok: true, detail: this.label };
  }

  async read(): Promise<IdleRead> {
    this.readCount++;
    return this.script();
  }
}

/** The reading a timeline gives at `nowMs`: the last point at or before it, aged by the gap. */
export function timelineAt(points: readonly IdleTimelinePoint[], nowMs: number): IdleRead {
  let current: IdleTimelinePoint | undefined;
  for (const p of points) {
    if (p.t > nowMs) break;
    current = p;
  }
  if (!current) throw new Error(`the idle timeline starts at ${points[0]?.t ?? '?'} ms, after ${nowMs} ms`);
  const idleSec = current.idleSec === null ? null : current.idleSec + (nowMs - current.t) / 1000;
  return current.locked === undefined ? { idleSec } : { idleSec, locked: current.locked };
}

/** Parses the JSON Lines forms fromFile accepts; errors name the line. */
export function parseIdleTimeline(text: string, name = 'timeline'): IdleTimelinePoint[] {
  const points: IdleTimelinePoint[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let j: unknown;
    try {
      j = JSON.parse(line);
    } catch {
      throw new Error(`${name} line ${i + 1}: not JSON`);
    }
    if (j === null || typeof j !== 'object') throw new Error(`${name} line ${i + 1}: not an object`);
    const o = j as Record<string, unknown>;
    if (typeof o.t !== 'number') return;
    const user = (typeof o.user === 'object' && o.user !== null ? o.user : o) as Record<string, unknown>;
    const idleSec = user.idleSec;
    if (idleSec !== null && (typeof idleSec !== 'number' || idleSec < 0)) {
      throw new Error(`${name} line ${i + 1}: idleSec must be a non-negative number or null`);
    }
    const locked =
      typeof user.locked === 'boolean'
        ? user.locked
        : typeof user.state === 'string'
          ? user.state === 'locked'
          : undefined;
    points.push(locked === undefined ? { t: o.t, idleSec } : { t: o.t, idleSec, locked });
  });
  return checkTimeline(points);
}

function checkTimeline(points: readonly IdleTimelinePoint[]): IdleTimelinePoint[] {
  if (points.length === 0) throw new Error('the idle timeline has no points');
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1];
    const cur = points[i];
    if (prev && cur && cur.t < prev.t) throw new Error(`the idle timeline goes back in time at point ${i + 1}`);
  }
  return [...points];
}
