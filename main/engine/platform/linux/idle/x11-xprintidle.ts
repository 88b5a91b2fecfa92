import type { Availability } from '../../collector.js';
import { findOnPath, runFile } from '../../../util/exec.js';
import type { IdleRead, IdleSource } from '../../idle.js';
import { X11ConnectError } from './x11-connection.js';
import { NativeX11Idle } from './x11-native.js';

/** `auto`: the native X11 connection, then xprintidle when it cannot connect or authenticate. */
export type X11Transport = 'auto' | 'native' | 'xprintidle';

export interface X11IdleSourceOptions {
  /** X display such as ":0". Default: DISPLAY from `env`. */
  display?: string;
  /** Environment for the lookups and the child (PATH, XAUTHORITY, HOME, XDG_SESSION_TYPE). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-read limit. Default 2000 ms. */
  timeoutMs?: number;
  /** Default 'auto'. */
  transport?: X11Transport;
}

const NO_XPRINTIDLE = 'xprintidle not installed (apt install xprintidle)';

/**
 * X11 idle time from the MIT-SCREEN-SAVER extension: over a held connection to the X server
 * (x11-native.ts), or through the `xprintidle` program (milliseconds on stdout) where that
 * connection cannot be made and libX11 might do better (an auth scheme or Xauthority entry the
 * native client does not handle). Exact on an X11 session; on Wayland the X server is Xwayland,
 * which only sees input aimed at X11 apps, so there it would report "idle" while the user types
 * into native Wayland windows: refused.
 */
export class X11IdleSource implements IdleSource {
  readonly id = 'idle.x11';
  readonly label = 'X11 idle time (MIT-SCREEN-SAVER)';
  /** Reads made over the native connection vs. by starting xprintidle. */
  readonly stats = { native: 0, xprintidle: 0 };
  private readonly env: NodeJS.ProcessEnv;
  private readonly display: string | undefined;
  private readonly timeoutMs: number;
  private readonly transport: X11Transport;
  private readonly native: NativeX11Idle | null;
  private exe: string | null = null;
  /** Why the last read went through xprintidle instead of the native connection. */
  private nativeFailure: string | null = null;

  constructor(opts: X11IdleSourceOptions = {}) {
    this.env = opts.env ?? process.env;
    this.display = opts.display ?? this.env.DISPLAY;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.transport = opts.transport ?? 'auto';
    this.native =
      this.display && this.transport !== 'xprintidle'
        ? new NativeX11Idle({ display: this.display, env: this.env, timeoutMs: this.timeoutMs })
        : null;
  }

  async available(): Promise<Availability> {
    if (this.env.XDG_SESSION_TYPE === 'wayland') {
      return { ok: false, reason: 'Wayland session: X11 idle time only covers X11 apps' };
    }
    if (!this.display) return { ok: false, reason: 'no X display (DISPLAY is not set)' };
    const r = await this.idleMs();
    if ('reason' in r) return { ok: false, reason: r.reason };
    if (r.via === 'native')
      return { ok: true, detail: `MIT-SCREEN-SAVER on ${this.display} over a native X11 connection` };
    const why = this.nativeFailure ? ` (native X11 client: ${this.nativeFailure})` : '';
    return { ok: true, detail: `xprintidle on ${this.display}${why}` };
  }

  async read(): Promise<IdleRead> {
    const r = await this.idleMs();
    if ('reason' in r) throw new Error(r.reason);
    return { idleSec: r.ms / 1000 };
  }

  async close(): Promise<void> {
    this.native?.close();
  }

  private async idleMs(): Promise<{ ms: number; via: 'native' | 'xprintidle' } | { reason: string }> {
    if (this.native) {
      try {
        const ms = await this.native.idleMs();
        this.nativeFailure = null;
        this.stats.native++;
        return { ms, via: 'native' };
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const fallback = this.transport === 'auto' && e instanceof X11ConnectError && e.fallbackMayWork;
        if (!fallback) return { reason };
        this.nativeFailure = reason;
        const r = await this.runXprintidle();
        // Without xprintidle, or with one that fails as well, the native reason is the one to act on.
        return 'reason' in r ? { reason: r.reason === NO_XPRINTIDLE ? reason : `${reason}; ${r.reason}` } : r;
      }
    }
    return this.runXprintidle();
  }

  /** Kept once found: a PATH search per read would be wasted work every idle tick. */
  private xprintidle(): string | null {
    this.exe ??= findOnPath('xprintidle', this.env.PATH ?? '');
    return this.exe;
  }

  private async runXprintidle(): Promise<{ ms: number; via: 'xprintidle' } | { reason: string }> {
    const exe = this.xprintidle();
    if (!exe) return { reason: NO_XPRINTIDLE };
    if (!this.display) return { reason: 'no X display (DISPLAY is not set)' };
    this.stats.xprintidle++;
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
    return ms === null
      ? { reason: `xprintidle printed "${r.stdout.trim().slice(0, 40)}", not milliseconds` }
      : { ms, via: 'xprintidle' };
  }
}

/** xprintidle prints one unsigned integer of milliseconds. */
export function parseXprintidle(stdout: string): number | null {
  const text = stdout.trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}
