import type { Availability } from '../collector.js';
import { findOnPath, runFile } from '../util/exec.js';
import type { IdleRead, IdleSource } from './idle-types.js';

export interface X11IdleSourceOptions {
  /** X display such as ":0". Default: DISPLAY from `env`. */
  display?: string;
  /** Environment for the lookups and the child (PATH, XAUTHORITY, XDG_SESSION_TYPE). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-run limit. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * X11 idle time from the MIT-SCREEN-SAVER extension, through the `xprintidle` program
 * (milliseconds on stdout). Exact on an X11 session; on Wayland the X server is Xwayland, which
 * only sees input aimed at X11 apps, so there it would report "idle" while the user types into
 * native Wayland windows: refused.
 */
export class X11IdleSource implements IdleSource {
  readonly id = 'idle.x11';
  readonly label = 'X11 idle time (xprintidle)';
  private readonly env: NodeJS.ProcessEnv;
  private readonly display: string | undefined;
  private readonly timeoutMs: number;
  private exe: string | null = null;

  constructor(opts: X11IdleSourceOptions = {}) {
    this.env = opts.env ?? process.env;
    this.display = opts.display ?? this.env.DISPLAY;
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  async available(): Promise<Availability> {
    if (this.env.XDG_SESSION_TYPE === 'wayland') {
      return { ok: false, reason: 'Wayland session: X11 idle time only covers X11 apps' };
    }
    if (!this.display) return { ok: false, reason: 'no X display (DISPLAY is not set)' };
    if (!this.xprintidle()) return { ok: false, reason: 'xprintidle not installed (apt install xprintidle)' };
    const r = await this.run();
    if ('reason' in r) return { ok: false, reason: r.reason };
    return { ok: true, detail: `xprintidle on ${this.display}` };
  }

  async read(): Promise<IdleRead> {
    const r = await this.run();
    if ('reason' in r) throw new Error(r.reason);
    return { idleSec: r.ms / 1000 };
  }

  /** Kept once found: a PATH search per read would be wasted work every idle tick. */
  private xprintidle(): string | null {
    this.exe ??= findOnPath('xprintidle', this.env.PATH ?? '');
    return this.exe;
  }

  private async run(): Promise<{ ms: number } | { reason: string }> {
    const exe = this.xprintidle();
    if (!exe) return { reason: 'xprintidle not installed (apt install xprintidle)' };
    if (!this.display) return { reason: 'no X display (DISPLAY is not set)' };
    const r = await runFile(exe, [], {
      timeoutMs: this.timeoutMs,
      env: { ...this.env, DISPLAY: this.display },
      maxBuffer: 4096,
    });
    if (!r.ok) {
      if (/screen saver extension not supported/i.test(r.stderr)) {
        return { reason: `X server at ${this.display} has no MIT-SCREEN-SAVER extension` };
      }
      const why = r.stderr.trim().split('\n')[0] || r.error || 'no output';
      return { reason: `X server at ${this.display} did not answer (${why})` };
    }
    const ms = parseXprintidle(r.stdout);
    return ms === null ? { reason: `xprintidle printed "${r.stdout.trim().slice(0, 40)}", not milliseconds` } : { ms };
  }
}

/** xprintidle prints one unsigned integer of milliseconds. */
export function parseXprintidle(stdout: string): number | null {
  const text = stdout.trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}
