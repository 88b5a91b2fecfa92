import type { Availability } from '../collector.js';
import type { IdleRead, IdleSource } from '../idle.js';
import { runFile } from '../../util/exec.js';
import { hidIdleSecondsFromIoreg, IOREG_HID_IDLE_ARGS } from './ioreg-gpu.js';

export interface IoregIdleOptions {
  /** Default /usr/sbin/ioreg. */
  ioregPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Per-read limit. Default 2000 ms. */
  timeoutMs?: number;
  /** At most one ioreg run per this many ms; reads in between age the last value. Default 2000. */
  minIntervalMs?: number;
  now?: () => number;
}

/**
 * Idle time for the CLI on macOS: HIDIdleTime (nanoseconds since the last keyboard, mouse or
 * trackpad event) from `ioreg -c IOHIDSystem -d 4 -r -k HIDIdleTime`. The Electron app uses
 * powerMonitor instead; this is what a plain Node process (the CLI, `sudo idlewatch`) can read.
 *
 * Cost: the idle monitor reads its source on every tick while the user is away (it extrapolates
 * while they are active), so this could mean one ioreg per second. ioreg has no streaming mode, so
 * reads are cached: at most one run per minIntervalMs (2 s), and a read in between returns the
 * last value aged by the time since. The price is that the user's return is seen up to 2 s late,
 * inside the detector's "load stopped within seconds of the return" window. Lock state is not
 * available here (undefined).
 */
export class IoregIdleSource implements IdleSource {
  readonly id = 'idle.darwin-ioreg';
  readonly label = 'macOS HID idle time (ioreg)';
  readonly stats = { runs: 0, cached: 0 };
  private readonly ioregPath: string;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly timeoutMs: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private last: { idleSec: number; at: number } | null = null;
  private inflight: Promise<number> | null = null;

  constructor(opts: IoregIdleOptions = {}) {
    this.ioregPath = opts.ioregPath ?? '/usr/sbin/ioreg';
    this.env = opts.env;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.minIntervalMs = opts.minIntervalMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  async available(): Promise<Availability> {
    try {
      const sec = await this.fresh();
      return { ok: true, detail: `HIDIdleTime via ${this.ioregPath} (idle ${Math.round(sec)} s)` };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }

  async read(): Promise<IdleRead> {
    const now = this.now();
    if (this.last && now - this.last.at >= 0 && now - this.last.at < this.minIntervalMs) {
      this.stats.cached++;
      return { idleSec: this.last.idleSec + (now - this.last.at) / 1000 };
    }
    return { idleSec: await this.fresh() };
  }

  private fresh(): Promise<number> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async run(): Promise<number> {
    this.stats.runs++;
    const at = this.now();
    const r = await runFile(this.ioregPath, IOREG_HID_IDLE_ARGS, {
      timeoutMs: this.timeoutMs,
      maxBuffer: 256 * 1024,
      ...(this.env ? { env: this.env } : {}),
    });
    if (!r.ok) throw new Error(`cannot read HIDIdleTime: ${r.error ?? 'ioreg failed'}`);
    const sec = hidIdleSecondsFromIoreg(r.stdout);
    if (sec === null) {
      const first = r.stdout.trim().split('\n')[0]?.slice(0, 120) ?? '';
      throw new Error(`ioreg printed no HIDIdleTime${first ? ` ("${first}")` : ''}`);
    }
    this.last = { idleSec: sec, at };
    return sec;
  }
}
