import type { Availability } from '../platform/collector.js';
import { PowerMonitorIdleSource, type PowerMonitorIdleSourceOptions } from './electron-powermonitor.js';
import type { IdleRead, IdleSource } from '../platform/idle.js';

/** One powerMonitor reading as the app's main process pushes it to the engine process (about once a second). */
export interface PushedIdleReading {
  /** powerMonitor.getSystemIdleTime(): whole seconds since the last input. */
  idleSec: number;
  /** powerMonitor.getSystemIdleState(): 'active' | 'idle' | 'locked' | 'unknown'. */
  state: string;
}

export interface PushedIdleSourceOptions extends Omit<PowerMonitorIdleSourceOptions, 'now'> {
  /** A reading older than this is stale: read() throws and available() says so. Default 5 s. */
  staleAfterMs?: number;
  /** Monotonic clock in ms. Default performance.now. */
  now?: () => number;
}

/**
 * Electron's powerMonitor as seen from the engine's utility process, which cannot call it: the main
 * process pushes a reading every second and this source serves the latest one. The Wayland refusal
 * and the stuck-at-zero detection are PowerMonitorIdleSource's own (it reads through this source),
 * so a desktop that gives Electron no idle time makes this source unavailable and the idle monitor
 * falls back to the engine's D-Bus, X11 or logind sources. When the readings stop coming (the main
 * process is busy or gone), read() fails with the age of the last one: nothing is guessed.
 */
export class PushedIdleSource implements IdleSource {
  readonly id = 'idle.electron';
  readonly label = 'Electron powerMonitor (pushed by the app)';
  private latest: { reading: PushedIdleReading; atMs: number } | null = null;
  private readonly createdMs: number;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly inner: PowerMonitorIdleSource;
  /** Set between lock-screen and unlock-screen power events. */
  private screenLocked = false;

  constructor(opts: PushedIdleSourceOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.staleAfterMs = opts.staleAfterMs ?? 5000;
    this.createdMs = this.now();
    this.inner = new PowerMonitorIdleSource(
      {
        getSystemIdleTime: () => this.fresh().idleSec,
        getSystemIdleState: () => (this.screenLocked ? 'locked' : this.fresh().state),
      },
      { ...opts, now: this.now },
    );
  }

  /** Takes a reading from the app. Malformed readings are ignored (the old one ages into staleness). */
  push(reading: PushedIdleReading): void {
    if (typeof reading?.idleSec !== 'number' || typeof reading.state !== 'string') return;
    this.latest = { reading: { idleSec: reading.idleSec, state: reading.state }, atMs: this.now() };
  }

  /** The OS said the screen was locked or unlocked (powerMonitor lock-screen / unlock-screen). */
  setScreenLocked(locked: boolean): void {
    this.screenLocked = locked;
  }

  async available(): Promise<Availability> {
    try {
      this.fresh();
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
    return this.inner.available();
  }

  read(): Promise<IdleRead> {
    return this.inner.read();
  }

  private fresh(): PushedIdleReading {
    const now = this.now();
    const since = this.latest ? this.latest.atMs : this.createdMs;
    const ageMs = now - since;
    if (!this.latest || ageMs > this.staleAfterMs) {
      const sec = Math.max(0, Math.round(ageMs / 1000));
      throw new Error(`no idle reading from the app for ${sec} s`);
    }
    return this.latest.reading;
  }
}

/**
 * An idle source that answers with the first of `sources` that can read: the cross-check for the
 * pushed powerMonitor readings (is the user really typing, or does Electron just say 0?).
 */
export function firstReadable(sources: readonly IdleSource[]): IdleSource {
  return {
    id: 'idle.cross-check',
    label: sources.map((s) => s.label).join(' / ') || 'no other source',
    available: async () => ({ ok: true }),
    read: async () => {
      for (const s of sources) {
        try {
          const r = await s.read();
          if (r.idleSec !== null) return r;
        } catch {
          // try the next one
        }
      }
      throw new Error('no other idle source could be read');
    },
  };
}
