/**
 * The onset-after-idle rule: did a load begin only after the user left? Stealth miners wait for
 * the user to go; a render, a build or a game was started by them and was already running.
 */
import type { LoadKind } from './load.js';
import { kindName, seconds } from './text.js';

/** A load that begins within this long after the last input was started by the user. */
export const ONSET_GAP_MS = 10_000;
/** The process must have been seen quiet this long before its load began. */
export const QUIET_BEFORE_MS = 10_000;
/** A run that ended this shortly before the user left still counts as work that was already going. */
export const CONTINUING_MARGIN_MS = 30_000;

/** `onset`: began after the user left; `continuing`: already running while they were here; `unknown`: the trace cannot tell. */
export type OnsetClass = 'onset' | 'continuing' | 'unknown';

/** What the load series knows (LoadChannel has these). */
export interface RunFacts {
  kind: LoadKind;
  busySince: number;
  quietSince: number;
  lastRunStart: number;
  lastRunEnd: number;
}

/** What is known about the absence and the process. */
export interface AbsenceFacts {
  /** The user's last input before the absence (or the lock, if earlier). */
  leftAt: number;
  lockStartT: number | null;
  /** Last sample with the user active (state), null when never seen. */
  lastActiveT: number | null;
  /** The process's start time. */
  startT: number;
  /** Last time a process of the same program under the same parent was busy while the user was present. */
  siblingBusyT: number | undefined;
}

export function classifyOnset(ch: RunFacts, a: AbsenceFacts): OnsetClass {
  const onset = ch.busySince;
  const left = a.leftAt;
  if (a.lastActiveT !== null) {
    // The current run, or one that ended shortly before the user left, was going while they were here.
    if (onset < left + ONSET_GAP_MS && onset <= a.lastActiveT) return 'continuing';
    if (
      ch.lastRunStart < left + ONSET_GAP_MS &&
      ch.lastRunStart <= a.lastActiveT &&
      ch.lastRunEnd >= left - CONTINUING_MARGIN_MS
    ) {
      return 'continuing';
    }
  }
  // A build's next compiler process continues work the user started; a miner's new life follows
  // a pause, not work seen while the user was present.
  if (a.siblingBusyT !== undefined && a.siblingBusyT >= left - CONTINUING_MARGIN_MS) return 'continuing';
  const afterLeft = onset >= left + ONSET_GAP_MS || (a.lockStartT !== null && onset >= a.lockStartT);
  const startedAfter = a.startT >= left;
  const quietBefore = onset - ch.quietSince >= QUIET_BEFORE_MS || startedAfter;
  return afterLeft && quietBefore ? 'onset' : 'unknown';
}

/** "GPU load began 95 s after your last input; it was quiet while you were using the computer". */
export function onsetDetail(ch: RunFacts, a: AbsenceFacts): string {
  const byLock = a.lockStartT !== null && ch.busySince >= a.lockStartT && ch.busySince < a.leftAt + ONSET_GAP_MS;
  const ref = byLock && a.lockStartT !== null ? a.lockStartT : a.leftAt;
  const after = byLock ? 'the screen locked' : 'your last input';
  if (a.startT >= a.leftAt && ch.busySince - a.startT < QUIET_BEFORE_MS) {
    return `started ${seconds(a.startT - ref)} after ${after} and went straight to work`;
  }
  const quietWhileHere = ch.quietSince <= a.leftAt ? '; it was quiet while you were using the computer' : '';
  return `${kindName(ch.kind)} load began ${seconds(ch.busySince - ref)} after ${after}${quietWhileHere}`;
}
