/**
 * When a long-lived connection (D-Bus, X11) may be tried again. The first attempt after a drop is
 * immediate (a restarted bus is usually back by the next tick); each failed attempt doubles the
 * wait up to a ceiling, so a bus that is gone costs one cheap failure per ceiling, not per tick.
 */
export interface BackoffOptions {
  /** Wait after the first failed attempt. Default 500 ms. */
  initialMs?: number;
  /** Longest wait. Default 30 s. */
  maxMs?: number;
  now?: () => number;
}

export class ReconnectBackoff {
  private failures = 0;
  private notBeforeMs = Number.NEGATIVE_INFINITY;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = Math.max(this.initialMs, opts.maxMs ?? 30_000);
    this.now = opts.now ?? Date.now;
  }

  /** Whether an attempt may be made now. */
  ready(): boolean {
    return this.now() >= this.notBeforeMs;
  }

  /** Milliseconds until the next attempt may be made (0 when ready). */
  waitMs(): number {
    return Math.max(0, this.notBeforeMs - this.now());
  }

  failed(): void {
    this.failures++;
    this.notBeforeMs = this.now() + Math.min(this.maxMs, this.initialMs * 2 ** (this.failures - 1));
  }

  succeeded(): void {
    this.failures = 0;
    this.notBeforeMs = Number.NEGATIVE_INFINITY;
  }
}
