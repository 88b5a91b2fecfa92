/**
 * A hidden window's renderer costs memory (tens of MB) for nothing: after the window has been
 * hidden for `afterMs`, it is destroyed, and recreated the next time it is asked for. Showing it
 * again before then cancels the countdown. Pure (timers injected), unit-tested.
 */
export interface ReaperTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const HIDDEN_WINDOW_TTL_MS = 5 * 60_000;

export class HiddenWindowReaper {
  private timer: unknown = null;

  constructor(
    private readonly destroy: () => void,
    private readonly afterMs = HIDDEN_WINDOW_TTL_MS,
    private readonly timers: ReaperTimers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
  ) {}

  get pending(): boolean {
    return this.timer !== null;
  }

  /** The window was hidden: start (or restart) the countdown. */
  hidden(): void {
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.destroy();
    }, this.afterMs);
  }

  /** The window was shown (or closed for good): no destruction pending. */
  shown(): void {
    this.cancel();
  }

  private cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
