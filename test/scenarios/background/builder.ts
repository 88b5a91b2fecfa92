/**
 * Helpers for describing a machine's ordinary processes: lifetimes since boot or login,
 * short-lived helpers that come and go, random bursts of work.
 */
import type { Host, Level, LoadSource, Noisy, ProcSpec, Span, WorkSpan } from '../model.js';
import type { Rng } from '../prng.js';
import type { Timeline } from '../timeline.js';

export interface BgContext {
  rng: Rng;
  host: Host;
  timeline: Timeline;
  durationMs: number;
  /** t of boot (negative: before the recording). */
  bootMs: number;
  /** t of the desktop login. */
  loginMs: number;
}

/** How much is installed and open: drives the process count (about 150 to 1000). */
export type Scale = 'light' | 'normal' | 'heavy';

export const n = (mean: number, sd = mean * 0.2): Noisy => ({ mean, sd });
export const cpu = (mean: number, sd?: number): Level => ({ cpu: n(mean, sd) });

export type ProcInput = Omit<ProcSpec, 'key' | 'role' | 'lives' | 'load'> & {
  key?: string;
  lives?: Span[];
  load?: LoadSource[];
};

export class BgBuilder {
  readonly specs: ProcSpec[] = [];
  private readonly keys = new Map<string, number>();
  /** A time after every recording ends: processes alive at the end carry it. */
  readonly end: number;

  constructor(readonly ctx: BgContext) {
    this.end = ctx.durationMs + 3_600_000;
  }

  get rng(): Rng {
    return this.ctx.rng;
  }

  /** Adds a process; returns its key (for children's `parent`). */
  add(p: ProcInput): string {
    const base = p.key ?? p.name;
    const count = this.keys.get(base) ?? 0;
    this.keys.set(base, count + 1);
    const key = count === 0 ? base : `${base}#${count}`;
    this.specs.push({
      ...p,
      key,
      role: 'background',
      lives: p.lives ?? this.sinceLogin(),
      load: p.load ?? [],
    });
    return key;
  }

  /** Alive since shortly after boot, to the end. */
  sinceBoot(maxOffsetSec = 20): Span[] {
    return [{ from: this.ctx.bootMs + this.rng.range(0.2, maxOffsetSec) * 1000, to: this.end }];
  }

  /** Alive since the desktop login (plus up to `maxOffsetSec`), to the end. */
  sinceLogin(maxOffsetSec = 30): Span[] {
    return [{ from: this.ctx.loginMs + this.rng.range(0.5, maxOffsetSec) * 1000, to: this.end }];
  }

  /** Started some time before the recording (an app the person opened this morning). */
  sinceEarlier(): Span[] {
    const from = this.rng.range(this.ctx.loginMs + 60_000, -30_000);
    return [{ from, to: this.end }];
  }

  /**
   * A helper that is started again and again and lives briefly (cron jobs, `git status` from an
   * editor, mdworker, WmiPrvSE). `whilePresent`: only while someone uses the machine.
   */
  churn(everySec: [number, number], lifeSec: [number, number], whilePresent = false): Span[] {
    const out: Span[] = [];
    let t = this.rng.range(-everySec[1], everySec[1]) * 1000;
    while (t < this.ctx.durationMs) {
      const life = this.rng.range(lifeSec[0], lifeSec[1]) * 1000;
      if (!whilePresent || this.ctx.timeline.idleSec(t) < 30) out.push({ from: t, to: t + life });
      t += life + this.rng.range(everySec[0], everySec[1]) * 1000;
    }
    return out;
  }

  /**
   * Random bursts of work, `perHour` on average, each `durSec` long. `when`: only while someone
   * is there, only while away (software that waits for idle), or any time.
   */
  bursts(
    perHour: number,
    durSec: [number, number],
    level: Level,
    when: 'any' | 'present' | 'away' = 'any',
  ): LoadSource {
    const spans: WorkSpan[] = [];
    const meanGap = 3_600_000 / perHour;
    let t = this.rng.range(-meanGap, meanGap);
    while (t < this.ctx.durationMs) {
      const dur = this.rng.range(durSec[0], durSec[1]) * 1000;
      const idle = this.ctx.timeline.idleSec(t);
      const ok = when === 'any' || (when === 'present' ? idle < 30 : idle >= 120);
      if (ok && t + dur > 0) spans.push({ from: t, to: t + dur, level });
      t += dur + this.rng.exp(meanGap);
    }
    return { kind: 'spans', spans };
  }
}

export const flicker = (p: number, lo = 0.5, hi = 2): LoadSource => ({ kind: 'flicker', p, cpu: [lo, hi] });
export const constant = (level: Level): LoadSource => ({ kind: 'constant', level });
export const presence = (level: Level, awayFactor = 0.1, lingerSec = 20): LoadSource => ({
  kind: 'presence',
  level,
  lingerSec,
  awayFactor,
});
