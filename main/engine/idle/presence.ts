/**
 * Whether the user is at the machine although keyboard and mouse are still: a game in fullscreen,
 * or a gamepad in hand. Pure: the caller passes each tick's idle reading, the fullscreen read and
 * the gamepad's idle time, and gets the reading the engine records.
 *
 * A fullscreen window is the window's own claim (any X client can set _NET_WM_STATE on its
 * window), and a miner that knew it would cover the screen while the owner is away to look like a
 * game. So fullscreen counts as presence only once the user was seen at the machine (keyboard,
 * mouse or gamepad within the idle threshold) while that same window was fullscreen: a game
 * launched by someone sitting there. A window that went fullscreen while they were away earns
 * nothing until they come back, and then they see it. Presence by fullscreen also runs out after
 * `maxFullscreenSec` without any input at all, and a locked screen is away whatever is on it.
 *
 * Gamepad input is input: the idle time becomes the smaller of the two, so the user's return is
 * seen at the moment they pick up the controller.
 */
import type { FullscreenRead } from '../platform/idle.js';
import type { IdleReading } from './idle-monitor.js';

export type PresenceReason = 'fullscreen' | 'gamepad';

export interface PresenceTick {
  nowMs: number;
  /** The idle sources' reading (keyboard and mouse). */
  reading: IdleReading;
  /** This tick's fullscreen read; null when not read this tick (the last one still holds) or unknown. */
  fullscreen: FullscreenRead | null;
  /** True when the fullscreen source cannot tell (unavailable, failing): nothing is fullscreen then. */
  fullscreenUnknown: boolean;
  /** Seconds since the last gamepad input, null when none seen. */
  gamepadIdleSec: number | null;
}

export interface PresenceView {
  reading: IdleReading;
  /** Why the user counts as present although the idle sources alone said away; null when they did not. */
  presence: PresenceReason | null;
  /** A trusted fullscreen window has the screen: notifications are held until it ends. */
  quiet: boolean;
  /** The fullscreen program's class name, when one is trusted. */
  app: string | null;
}

export interface PresenceGateOptions {
  idleThresholdSec: number;
  /** Longest a fullscreen window keeps the user present without any input. Default 4 h. */
  maxFullscreenSec?: number;
}

export class PresenceGate {
  private readonly threshold: number;
  private readonly maxFullscreenSec: number;
  /** The fullscreen window being followed, from the last read that saw one. */
  private window: FullscreenRead | null = null;
  /** Whether the user was seen at the machine while `window` was fullscreen. */
  private trusted = false;

  constructor(opts: PresenceGateOptions) {
    this.threshold = opts.idleThresholdSec;
    this.maxFullscreenSec = opts.maxFullscreenSec ?? 4 * 3600;
  }

  /** Whether the fullscreen source should be asked this tick (cheap to skip otherwise). */
  get following(): boolean {
    return this.window !== null && this.trusted;
  }

  tick(t: PresenceTick): PresenceView {
    const raw = t.reading;
    let reading = raw;
    let presence: PresenceReason | null = null;

    // Gamepad: input like any other, except on a locked screen (the controller on the sofa).
    if (t.gamepadIdleSec !== null && raw.state !== 'locked' && raw.state !== 'unknown') {
      const idleSec = raw.idleSec === null ? t.gamepadIdleSec : Math.min(raw.idleSec, t.gamepadIdleSec);
      if (raw.state === 'idle' && idleSec < this.threshold) presence = 'gamepad';
      reading = { ...raw, idleSec: round(idleSec), state: idleSec < this.threshold ? 'active' : raw.state };
    }

    if (t.fullscreenUnknown) this.forget();
    else if (t.fullscreen) this.follow(t.fullscreen);

    const inputSec = reading.idleSec;
    const seenPresent = reading.state === 'active' && inputSec !== null && inputSec < this.threshold;
    if (this.window && seenPresent) this.trusted = true;
    if (this.trusted && inputSec !== null && inputSec > this.maxFullscreenSec) this.trusted = false;
    const quiet = this.window !== null && this.trusted && reading.state !== 'locked';
    if (quiet && reading.state === 'idle') {
      // The idle time stays what the keyboard and mouse say: the trace records the truth, and the state says present.
      reading = { ...reading, state: 'active' };
      presence = 'fullscreen';
    }
    return { reading, presence, quiet, app: quiet ? (this.window?.app ?? null) : null };
  }

  private follow(f: FullscreenRead): void {
    if (!f.fullscreen) {
      this.forget();
      return;
    }
    if (this.window?.window !== f.window || this.window.pid !== f.pid) {
      this.window = f;
      this.trusted = false;
    }
  }

  private forget(): void {
    this.window = null;
    this.trusted = false;
  }
}

function round(sec: number): number {
  return Math.round(sec * 1000) / 1000;
}
