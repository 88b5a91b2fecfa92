/**
 * A scheduler that starts the same program again and again, a run working only while nobody is at
 * the machine: the classic persistence of a miner (a cron line that re-launches it every few
 * minutes and whose script checks the idle time first, a scheduled task with an idle trigger).
 * Scheduled maintenance runs once per absence, per hour or per day; so a program a scheduler
 * starts again within minutes of its last run, that works while you are away and was never busy
 * while you were here, is evidence and never an excuse.
 *
 * The book keeps a few numbers per program (executable path), forgets idle ones after an hour,
 * and is bounded.
 */
import type { TraceIdentity } from '../../../../shared/identity.js';

/**
 * What a relaunch adds: with a load that began after you left (1.2) and a core or more while away
 * (1.1) it is medium or high, and it voids any benign reading, so a name or a system folder cannot
 * cap it.
 */
export const RECUR_POINTS = 1.5;
/** A launch this soon after the previous run ended is "again", not "tomorrow's run". */
export const RECUR_GAP_MS = 15 * 60_000;
/** Programs seen busy while the user was present within this long are not idle-only. */
const PRESENT_MEMORY_MS = 3_600_000;
const MAX_PROGRAMS = 256;

interface Entry {
  /** Its processes alive now. */
  live: number;
  /** When the last of its processes ended (null before any). */
  lastExitT: number | null;
  busyPresentT: number;
  seenT: number;
}

export class RecurrenceBook {
  private readonly programs = new Map<string, Entry>();

  get size(): number {
    return this.programs.size;
  }

  private entry(key: string, t: number): Entry {
    let e = this.programs.get(key);
    if (!e) {
      if (this.programs.size >= MAX_PROGRAMS) this.prune(t);
      e = { live: 0, lastExitT: null, busyPresentT: Number.NEGATIVE_INFINITY, seenT: t };
      this.programs.set(key, e);
    }
    e.seenT = t;
    return e;
  }

  private prune(t: number): void {
    for (const [k, e] of this.programs) if (e.live === 0 && t - e.seenT > PRESENT_MEMORY_MS) this.programs.delete(k);
    if (this.programs.size >= MAX_PROGRAMS) {
      const oldest = [...this.programs.entries()].sort((a, b) => a[1].seenT - b[1].seenT)[0];
      if (oldest) this.programs.delete(oldest[0]);
    }
  }

  /** A process of the program was busy while the user was at the machine. */
  busyWhilePresent(key: string, t: number): void {
    this.entry(key, t).busyPresentT = t;
  }

  /**
   * A scheduler started a process of the program at `t`. Returns how long ago its previous run
   * ended when this is a relaunch (none of it running, the last run ended within RECUR_GAP_MS),
   * else null. Parallel workers of one run are not relaunches. The caller reports `exited`.
   */
  launched(key: string, t: number): number | null {
    const e = this.entry(key, t);
    const gap = e.live === 0 && e.lastExitT !== null && t - e.lastExitT <= RECUR_GAP_MS ? t - e.lastExitT : null;
    e.live++;
    return gap;
  }

  exited(key: string, t: number): void {
    const e = this.programs.get(key);
    if (!e || e.live === 0) return;
    e.live--;
    if (e.live === 0) e.lastExitT = t;
    e.seenT = t;
  }

  /** Never busy while the user was present, as far as the last hour shows. */
  idleOnly(key: string, t: number): boolean {
    const e = this.programs.get(key);
    return e === undefined || t - e.busyPresentT > PRESENT_MEMORY_MS;
  }
}

/** One program across its lives: cron's shell and pids change every run, the executable does not. */
export function programKey(id: Pick<TraceIdentity, 'exe' | 'name'>): string {
  return (id.exe ?? id.name).toLowerCase();
}

/** "started by a scheduler again 4 min after its last run ended, …". */
export function recurringDetail(gapMs: number): string {
  const min = Math.max(1, Math.round(gapMs / 60_000));
  return `started by a scheduler again ${min} min after its last run ended, and works only while nobody is here (never while you were): that is how miners persist`;
}
