import type { Actor, Level, LoadSource, ScenarioPlan } from '../model.js';
import type { Rng } from '../prng.js';
import { type AwayKind, type FinishOptions, finish, type Setup, type session } from './common.js';

export type Timeline = ReturnType<typeof session>;

export const constant = (level: Level): LoadSource => ({ kind: 'constant', level });

/** A time while the person is at the keyboard, `sec` seconds into the first active stretch. */
export function whileActive(tl: Timeline, sec: number): number {
  const first = tl.quietGaps(tl.thresholdSec)[0];
  const limit = first ? first.from - 5000 : tl.durationMs / 3;
  return Math.min(sec * 1000, Math.max(1000, limit));
}

export function plan(s: Setup, tl: Timeline, actors: Actor[], opts: FinishOptions = {}): ScenarioPlan {
  return finish(s, tl, actors, opts);
}

export function kinds(rng: Rng): AwayKind[] {
  return rng.pick<AwayKind[]>([['away'], ['away', 'locked-auto'], ['locked-manual', 'away']]);
}
