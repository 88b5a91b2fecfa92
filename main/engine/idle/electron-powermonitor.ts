import type { Availability } from '../platform/collector.js';
import type { IdleRead, IdleSource } from '../platform/idle.js';

/**
 * The part of Electron's `powerMonitor` this source uses. The engine must run under plain Node,
 * so it never imports electron: the shell passes its real powerMonitor in.
 */
export interface PowerMonitorLike {
  /** Whole seconds since the last input. */
  getSystemIdleTime(): number;
  /** 'active' | 'idle' | 'locked' | 'unknown'. */
  getSystemIdleState(idleThreshold: number): string;
}

export interface PowerMonitorIdleSourceOptions {
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** Default process.env; XDG_SESSION_TYPE tells a Wayland session. */
  env?: NodeJS.ProcessEnv;
  /**
   * Another source to ask when Electron keeps answering 0; if it sees the user idle meanwhile,
   * Electron's zeros are the Wayland bug, not a busy user.
   */
  crossCheck?: IdleSource;
  /** Zero streak after which crossCheck is asked (at most once a minute). Default 60 s. */
  crossCheckAfterSec?: number;
  /** With no cross-check: unbroken zeros since start for this long mean "not reported". Default 600 s. */
  stuckZeroSec?: number;
  /** Clock in ms. Default performance.now. */
  now?: () => number;
}

/**
 * Idle time from Electron's powerMonitor: the natural source on Windows and macOS. On Linux under
 * Wayland getSystemIdleTime() returns 0 forever, which would read as "the user is always here" and
 * hide every miner; that case is refused up front, and caught at run time when the readings stay
 * at exactly 0 while another source disagrees or for longer than a real user keeps typing.
 */
export class PowerMonitorIdleSource implements IdleSource {
  readonly id = 'idle.electron';
  readonly label = 'Electron powerMonitor';
  private readonly pm: PowerMonitorLike;
  private readonly platform: NodeJS.Platform;
  private readonly env: NodeJS.ProcessEnv;
  private readonly crossCheck: IdleSource | undefined;
  private readonly crossCheckAfterMs: number;
  private readonly stuckZeroMs: number;
  private readonly now: () => number;
  private zeroSinceMs: number | null = null;
  private zeroReads = 0;
  private sawNonZero = false;
  private lastCrossCheckMs = Number.NEGATIVE_INFINITY;
  /** Set once the readings are shown to be meaningless; the source stays refused after that. */
  private brokenReason: string | null = null;

  constructor(powerMonitor: PowerMonitorLike, opts: PowerMonitorIdleSourceOptions = {}) {
    this.pm = powerMonitor;
    this.platform = opts.platform ?? process.platform;
    this.env = opts.env ?? process.env;
    this.crossCheck = opts.crossCheck;
    this.crossCheckAfterMs = (opts.crossCheckAfterSec ?? 60) * 1000;
    this.stuckZeroMs = (opts.stuckZeroSec ?? 600) * 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  async available(): Promise<Availability> {
    if (this.platform === 'linux' && this.env.XDG_SESSION_TYPE === 'wayland') {
      return {
        ok: false,
        reason: "Wayland session: Electron's getSystemIdleTime() returns 0 there (or sees only X11 apps)",
      };
    }
    if (this.brokenReason) return { ok: false, reason: this.brokenReason };
    try {
      const s = this.pm.getSystemIdleTime();
      if (!Number.isFinite(s) || s < 0) return { ok: false, reason: `powerMonitor returned ${s} s of idle time` };
    } catch (e) {
      return { ok: false, reason: `powerMonitor.getSystemIdleTime() failed: ${(e as Error).message}` };
    }
    return { ok: true, detail: 'Electron powerMonitor.getSystemIdleTime()' };
  }

  async read(): Promise<IdleRead> {
    if (this.brokenReason) throw new Error(this.brokenReason);
    const idleSec = this.pm.getSystemIdleTime();
    if (!Number.isFinite(idleSec) || idleSec < 0) throw new Error(`powerMonitor returned ${idleSec} s of idle time`);
    await this.watchForStuckZero(idleSec);
    if (this.brokenReason) throw new Error(this.brokenReason);
    const state = this.pm.getSystemIdleState(Math.max(1, Math.floor(idleSec) + 1));
    if (state === 'locked') return { idleSec, locked: true };
    if (state === 'active' || state === 'idle') return { idleSec, locked: false };
    return { idleSec };
  }

  private async watchForStuckZero(idleSec: number): Promise<void> {
    const now = this.now();
    if (idleSec > 0) {
      this.sawNonZero = true;
      this.zeroSinceMs = null;
      this.zeroReads = 0;
      return;
    }
    this.zeroSinceMs ??= now;
    this.zeroReads++;
    const streakMs = now - this.zeroSinceMs;
    if (this.crossCheck && streakMs >= this.crossCheckAfterMs && now - this.lastCrossCheckMs >= 60_000) {
      this.lastCrossCheckMs = now;
      const other = await this.crossCheck.read().catch(() => null);
      // The other source must have seen no input for longer than one of our polls could miss.
      if (other?.idleSec != null && other.idleSec >= 5) {
        this.brokenReason = `Electron reports idle time 0 while ${this.crossCheck.label} reports ${Math.round(other.idleSec)} s: this desktop does not give Electron idle time`;
      }
      return;
    }
    if (!this.sawNonZero && this.zeroReads >= 5 && streakMs >= this.stuckZeroMs) {
      this.brokenReason = `Electron's idle time has been exactly 0 on every read for ${Math.round(streakMs / 60_000)} min: this desktop does not report it`;
    }
  }
}
