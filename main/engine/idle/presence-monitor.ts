/**
 * The idle monitor plus the two signs of a user who touches neither keyboard nor mouse: a
 * fullscreen game and a gamepad. It is the engine's idle provider; the decisions are PresenceGate's.
 *
 * Cost: the gamepad devices are drained every tick (one non-blocking read each, only when one is
 * connected); the fullscreen window is asked every `fullscreenEveryMs`, and every tick only while
 * a trusted fullscreen window is followed, so its end is seen at once.
 */
import type { SourceStatus } from '../../../shared/engine-types.js';
import type { Availability } from '../platform/collector.js';
import type { FullscreenRead, FullscreenSource, InputActivitySource } from '../platform/idle.js';
import type { IdleProvider } from '../sampler.js';
import type { IdleMonitor, IdleReading } from './idle-monitor.js';
import { PresenceGate, type PresenceView } from './presence.js';

export interface PresenceMonitorOptions {
  idle: IdleMonitor;
  fullscreen: FullscreenSource | null;
  gamepad: InputActivitySource | null;
  idleThresholdSec: number;
  /** Default 5 s. */
  fullscreenEveryMs?: number;
  /** How often an unavailable source is asked again. Default 60 s. */
  reprobeMs?: number;
  maxFullscreenSec?: number;
}

/** Failed reads in a row after which a source is set aside until the next probe. */
const MAX_FAILURES = 3;

interface Slot<S> {
  source: S;
  availability: Availability | null;
  probedAtMs: number;
  failures: number;
  lastError: string | null;
}

export interface PresenceProbe {
  kind: 'fullscreen' | 'gamepad';
  id: string;
  label: string;
  availability: Availability;
}

export class PresenceMonitor implements IdleProvider {
  /** Fullscreen reads made: lets tests see the cadence. */
  readonly stats = { fullscreenReads: 0 };
  private readonly gate: PresenceGate;
  private readonly fullscreen: Slot<FullscreenSource> | null;
  private readonly gamepad: Slot<InputActivitySource> | null;
  private readonly everyMs: number;
  private readonly reprobeMs: number;
  private lastFullscreenMs = Number.NEGATIVE_INFINITY;
  private view: PresenceView | null = null;

  constructor(private readonly opts: PresenceMonitorOptions) {
    this.gate = new PresenceGate({
      idleThresholdSec: opts.idleThresholdSec,
      ...(opts.maxFullscreenSec !== undefined ? { maxFullscreenSec: opts.maxFullscreenSec } : {}),
    });
    this.fullscreen = opts.fullscreen ? slot(opts.fullscreen) : null;
    this.gamepad = opts.gamepad ? slot(opts.gamepad) : null;
    this.everyMs = opts.fullscreenEveryMs ?? 5000;
    this.reprobeMs = opts.reprobeMs ?? 60_000;
  }

  /** A trusted fullscreen window has the screen: the detector holds its notifications. */
  quiet(): boolean {
    return this.view?.quiet === true;
  }

  /** The latest decision, for the window ("present: playing Steam"). */
  latest(): PresenceView | null {
    return this.view;
  }

  start(): Promise<void> {
    return this.opts.idle.start();
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.opts.idle.stop(),
      this.fullscreen?.source.close?.().catch(() => undefined),
      this.gamepad?.source.close?.().catch(() => undefined),
    ]);
    this.view = null;
  }

  status(): SourceStatus {
    return this.opts.idle.status();
  }

  /** One line per presence source, beside the idle source's own. */
  extraStatus(): SourceStatus[] {
    const out: SourceStatus[] = [];
    for (const s of [this.fullscreen, this.gamepad]) {
      if (!s) continue;
      const a = s.availability;
      const { id, label } = s.source;
      if (!a) out.push({ id, label, health: 'unavailable', detail: 'not probed yet' });
      else if (!a.ok) out.push({ id, label, health: 'unavailable', detail: a.reason });
      else if (s.failures > 0)
        out.push({ id, label, health: 'degraded', detail: `${s.failures} failed read(s): ${s.lastError}` });
      else out.push({ id, label, health: 'ok', detail: a.detail ?? label });
    }
    return out;
  }

  async probeAll(): Promise<PresenceProbe[]> {
    const entries: PresenceProbe[] = [];
    for (const [kind, s] of [
      ['fullscreen', this.fullscreen],
      ['gamepad', this.gamepad],
    ] as const) {
      if (!s) continue;
      s.availability = await safeAvailable(s.source);
      s.probedAtMs = Date.now();
      entries.push({ kind, id: s.source.id, label: s.source.label, availability: s.availability });
    }
    return entries;
  }

  async read(nowMs: number): Promise<IdleReading> {
    const [reading, fullscreen, gamepadIdleSec] = await Promise.all([
      this.opts.idle.read(nowMs),
      this.readFullscreen(nowMs),
      this.readGamepad(nowMs),
    ]);
    const fs = this.fullscreen;
    this.view = this.gate.tick({
      nowMs,
      reading,
      fullscreen: fullscreen === 'skipped' ? null : fullscreen,
      fullscreenUnknown: !fs || fullscreen === null || !fs.availability?.ok,
      gamepadIdleSec,
    });
    return this.view.reading;
  }

  /** 'skipped' when not due this tick; null when the source cannot tell. */
  private async readFullscreen(nowMs: number): Promise<FullscreenRead | null | 'skipped'> {
    const s = this.fullscreen;
    if (!s) return null;
    if (!(await this.ensureAvailable(s, nowMs))) return null;
    const due = this.gate.following || nowMs - this.lastFullscreenMs >= this.everyMs || nowMs < this.lastFullscreenMs;
    if (!due) return 'skipped';
    this.lastFullscreenMs = nowMs;
    this.stats.fullscreenReads++;
    return this.readSlot(s, () => s.source.read(), nowMs);
  }

  private async readGamepad(nowMs: number): Promise<number | null> {
    const s = this.gamepad;
    if (!s) return null;
    // A controller plugged in later is found by the next probe.
    if (!(await this.ensureAvailable(s, nowMs))) return null;
    return this.readSlot(s, () => s.source.read(nowMs), nowMs);
  }

  private async ensureAvailable(s: Slot<FullscreenSource | InputActivitySource>, nowMs: number): Promise<boolean> {
    const stale = nowMs - s.probedAtMs >= this.reprobeMs || nowMs < s.probedAtMs;
    if (s.availability?.ok && !(s === this.gamepad && stale)) return true;
    if (s.availability && !stale) return false;
    s.probedAtMs = nowMs;
    s.availability = await safeAvailable(s.source);
    return s.availability.ok;
  }

  /** One read of a source: a success clears its failure count, a failure counts towards giving up on it. */
  private async readSlot<T>(s: Slot<{ id: string }>, read: () => Promise<T>, nowMs: number): Promise<T | null> {
    try {
      const r = await read();
      s.failures = 0;
      s.lastError = null;
      return r;
    } catch (e) {
      this.failed(s, e, nowMs);
      return null;
    }
  }

  private failed(s: Slot<{ id: string }>, e: unknown, nowMs: number): void {
    s.lastError = e instanceof Error ? e.message : String(e);
    if (++s.failures >= MAX_FAILURES) {
      s.availability = { ok: false, reason: `failed ${s.failures} reads in a row: ${s.lastError}` };
      s.probedAtMs = nowMs;
      s.failures = 0;
    }
  }
}

function slot<S>(source: S): Slot<S> {
  return { source, availability: null, probedAtMs: Number.NEGATIVE_INFINITY, failures: 0, lastError: null };
}

async function safeAvailable(source: { available(): Promise<Availability> }): Promise<Availability> {
  try {
    return await source.available();
  } catch (e) {
    return { ok: false, reason: `probe failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
