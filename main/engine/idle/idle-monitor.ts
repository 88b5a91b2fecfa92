import type { TraceUser, UserState } from '../../../shared/trace.js';
import type { Availability, Collector, SourceStatus } from '../platform/collector.js';
import type { IdleRead, IdleSource, InhibitorSource } from '../platform/idle.js';

/** One monitor reading: the trace's user fields plus the id of the source that produced them. */
export type IdleReading = TraceUser & { source: string | null };

/** One source's answer to a probe, for the `probe` CLI. */
export interface IdleSourceProbe {
  kind: 'idle' | 'inhibitors';
  id: string;
  label: string;
  availability: Availability;
}

export interface IdleMonitorOptions {
  /** In order of preference; the first available one is used. */
  sources: readonly IdleSource[];
  inhibitors?: InhibitorSource | null;
  /** No input for at least this long makes the user `idle`. */
  idleThresholdSec: number;
  /** Consecutive failed reads after which the chosen source is set aside and the others probed. Default 3. */
  maxFailures?: number;
  /**
   * How often sources are probed again while none works, while a less preferred one is in use
   * (a desktop service may register after Idlewatch starts at login), and how long a failed-over
   * source sits out. Default 60 s.
   */
  reprobeIntervalMs?: number;
  /**
   * While no source works, the wait between probes starts at reprobeIntervalMs and doubles after
   * each probe that finds nothing, up to this. A headless server has no desktop service to wait
   * for, and each probe may start gdbus/busctl/xprintidle where the native paths cannot connect.
   * Default 10 min.
   */
  maxReprobeIntervalMs?: number;
  /** Longest an extrapolated reading is reused without asking the source; bounds how late a manual lock is seen. Default 30 s. */
  maxReuseMs?: number;
  /** How long an inhibitor list is reused. Default 10 s. */
  inhibitorIntervalMs?: number;
  /** Shown in status() when `sources` is empty. Default: the `reason` an IdleSourceList carries. */
  noSourcesReason?: string;
}

interface SourceState {
  source: IdleSource;
  /** Last probe's answer; null when not probed yet. */
  availability: Availability | null;
  failures: number;
  lastError: string | null;
  /** After failing over, a source is not picked again before this time. */
  benchedUntilMs: number;
}

interface LastReading {
  atMs: number;
  idleSec: number;
  locked: boolean;
}

/**
 * Decides whether the user is at the machine, from the first idle source that works.
 *
 * Polling is adaptive because a read of a real source costs a round trip to another process (on
 * the fallback paths, a whole program run), and most ticks need none. A reading of idleSec
 * = s while active proves the user cannot reach the idle threshold before threshold - s more
 * seconds pass, so until then (and at most maxReuseMs) the monitor reports the last reading aged by
 * the elapsed time instead of asking again. That idleSec is an upper bound (the user may have typed
 * since), which is harmless: the state is `active` either way. Once the aged value could reach the
 * threshold, and on every call while idle or locked, it asks the source: the moment the user comes
 * back is a key detection signal ("the load stopped within 2 s of the user's return"), so it must be
 * seen on the very next tick, never extrapolated.
 *
 * It never guesses: with no working source, or a source that cannot tell, the state is `unknown`
 * and idleSec null.
 */
export class IdleMonitor implements Collector<IdleReading> {
  readonly id = 'idle';
  readonly label = 'User presence (idle time)';
  /** Real source reads vs. readings served by extrapolation; what the adaptive polling saves. */
  readonly stats = { sourceReads: 0, reused: 0 };

  private readonly states: SourceState[];
  private readonly inhibitorSource: InhibitorSource | null;
  private readonly thresholdSec: number;
  private readonly maxFailures: number;
  private readonly reprobeMs: number;
  private readonly maxReprobeMs: number;
  private readonly maxReuseMs: number;
  private readonly inhibitorMs: number;
  private readonly noSourcesReason: string | undefined;

  private chosen: SourceState | null = null;
  private started = false;
  private everWorked = false;
  /** When the sources were last probed, on the callers' clock; null until the first read sets it. */
  private lastProbeMs: number | null = null;
  /** Probes in a row that found no working source; sets how long the next one waits. */
  private fruitlessProbes = 0;
  private last: LastReading | null = null;
  private inflight: Promise<IdleReading> | null = null;

  private inhibitorAvailability: Availability | null = null;
  private inhibitorProbeMs: number | null = null;
  private inhibitorNames: string[] | null = null;
  private inhibitorReadMs = 0;
  private inhibitorFailures = 0;
  private inhibitorFruitlessProbes = 0;

  constructor(opts: IdleMonitorOptions) {
    if (!Number.isFinite(opts.idleThresholdSec) || opts.idleThresholdSec <= 0) {
      throw new RangeError(`idleThresholdSec must be a positive number, got ${opts.idleThresholdSec}`);
    }
    const ids = new Set<string>();
    for (const s of opts.sources) {
      if (ids.has(s.id)) throw new Error(`two idle sources share the id ${s.id}`);
      ids.add(s.id);
    }
    this.states = opts.sources.map((source) => ({
      source,
      availability: null,
      failures: 0,
      lastError: null,
      benchedUntilMs: Number.NEGATIVE_INFINITY,
    }));
    this.inhibitorSource = opts.inhibitors ?? null;
    this.thresholdSec = opts.idleThresholdSec;
    this.maxFailures = Math.max(1, opts.maxFailures ?? 3);
    this.reprobeMs = opts.reprobeIntervalMs ?? 60_000;
    this.maxReprobeMs = Math.max(this.reprobeMs, opts.maxReprobeIntervalMs ?? 600_000);
    this.maxReuseMs = opts.maxReuseMs ?? 30_000;
    this.inhibitorMs = opts.inhibitorIntervalMs ?? 10_000;
    const listReason = (opts.sources as { reason?: unknown }).reason;
    this.noSourcesReason = opts.noSourcesReason ?? (typeof listReason === 'string' ? listReason : undefined);
  }

  /** Available when at least one source is. Probes only; chooses nothing. */
  async available(): Promise<Availability> {
    const probes = await this.probeAll();
    const ok = probes.find((p) => p.kind === 'idle' && p.availability.ok);
    if (ok) return { ok: true, detail: `${ok.label}${detailOf(ok.availability)}` };
    return { ok: false, reason: this.noneWorksReason() };
  }

  /** Picks the first available source. read() does this itself when not started. */
  async start(): Promise<void> {
    this.started = true;
    await this.chooseFrom(this.states.length, null);
  }

  async stop(): Promise<void> {
    this.started = false;
    this.chosen = null;
    this.last = null;
    this.lastProbeMs = null;
    this.fruitlessProbes = 0;
    await Promise.all([
      ...this.states.map((s) => s.source.close?.().catch(() => undefined)),
      this.inhibitorSource?.close?.().catch(() => undefined),
    ]);
  }

  sample(nowMs: number): Promise<IdleReading> {
    return this.read(nowMs);
  }

  /** The user's state at `nowMs` (the callers' clock: Date.now() live, trace time in replay). */
  read(nowMs: number): Promise<IdleReading> {
    // Ticks that overlap (a slow source) share one read instead of stacking reads.
    this.inflight ??= this.readOnce(nowMs).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Asks every source (and the inhibitor source) whether it works here; for the `probe` CLI. */
  async probeAll(): Promise<IdleSourceProbe[]> {
    const idle = await Promise.all(
      this.states.map(async (st): Promise<IdleSourceProbe> => {
        st.availability = await safeAvailable(st.source);
        return { kind: 'idle', id: st.source.id, label: st.source.label, availability: st.availability };
      }),
    );
    if (!this.inhibitorSource) return idle;
    this.inhibitorAvailability = await safeAvailable(this.inhibitorSource);
    return [
      ...idle,
      {
        kind: 'inhibitors',
        id: this.inhibitorSource.id,
        label: 'Idle inhibitors',
        availability: this.inhibitorAvailability,
      },
    ];
  }

  status(): SourceStatus {
    const c = this.chosen;
    if (c) {
      const others = this.states
        .filter((s) => s !== c && s.availability && !s.availability.ok)
        .map((s) => `${s.source.id}: ${reasonOf(s.availability)}`);
      const notUsed = others.length > 0 ? `; not used: ${others.join('; ')}` : '';
      if (c.failures > 0) {
        return {
          id: c.source.id,
          label: c.source.label,
          health: 'degraded',
          detail: `${c.failures} failed read(s) in a row: ${c.lastError}${notUsed}`,
        };
      }
      const detail = (c.availability?.ok && c.availability.detail) || c.source.label;
      return { id: c.source.id, label: c.source.label, health: 'ok', detail: `${detail}${notUsed}` };
    }
    if (!this.started) return { id: this.id, label: this.label, health: 'unavailable', detail: 'not started' };
    return {
      id: this.id,
      label: this.label,
      health: this.everWorked ? 'degraded' : 'unavailable',
      detail: this.noneWorksReason(),
    };
  }

  private async readOnce(nowMs: number): Promise<IdleReading> {
    await this.maybeReprobe(nowMs);
    const user = await this.readUser(nowMs);
    const inhibitors = await this.readInhibitors(nowMs);
    return inhibitors === undefined
      ? { state: user.state, idleSec: user.idleSec, source: user.source }
      : { state: user.state, idleSec: user.idleSec, inhibitors, source: user.source };
  }

  private async maybeReprobe(nowMs: number): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.chooseFrom(this.states.length, nowMs);
      return;
    }
    if (this.lastProbeMs === null) this.lastProbeMs = nowMs;
    const chosenAt = this.chosen ? this.states.indexOf(this.chosen) : this.states.length;
    if (chosenAt === 0) return;
    // A clock that went backwards (a replay restarted) also re-probes rather than waiting forever.
    const interval = this.chosen ? this.reprobeMs : this.backedOff(this.fruitlessProbes);
    const due = nowMs - this.lastProbeMs >= interval || nowMs < this.lastProbeMs;
    if (due) await this.chooseFrom(chosenAt, nowMs);
  }

  /** Probes sources ahead of index `upTo` in order and switches to the first that works. */
  private async chooseFrom(upTo: number, nowMs: number | null): Promise<void> {
    if (nowMs !== null) this.lastProbeMs = nowMs;
    for (const st of this.states.slice(0, upTo)) {
      if (nowMs !== null && st.benchedUntilMs > nowMs) continue;
      st.availability = await safeAvailable(st.source);
      if (st.availability.ok) {
        if (this.chosen !== st) {
          this.chosen = st;
          st.failures = 0;
          st.lastError = null;
          this.last = null;
        }
        this.fruitlessProbes = 0;
        return;
      }
    }
    if (!this.chosen) this.fruitlessProbes++;
  }

  /** The wait before the next probe after `fruitless` probes in a row found nothing: 1, 1, 2, 4… × reprobe. */
  private backedOff(fruitless: number): number {
    return Math.min(this.maxReprobeMs, this.reprobeMs * 2 ** Math.max(0, fruitless - 1));
  }

  private async readUser(nowMs: number): Promise<IdleReading> {
    // Two tries: when the chosen source fails over, the next one answers this same tick.
    for (let attempt = 0; attempt < 2; attempt++) {
      const c = this.chosen;
      if (!c) break;
      const reused = this.extrapolate(nowMs, c);
      if (reused) {
        this.stats.reused++;
        return reused;
      }
      let r: IdleRead;
      try {
        this.stats.sourceReads++;
        r = checkRead(await c.source.read());
      } catch (e) {
        this.last = null;
        c.failures++;
        c.lastError = e instanceof Error ? e.message : String(e);
        if (c.failures < this.maxFailures) break;
        this.failOver(c, nowMs);
        await this.chooseFrom(this.states.length, nowMs);
        continue;
      }
      c.failures = 0;
      c.lastError = null;
      this.everWorked = true;
      const locked = r.locked === true;
      this.last = r.idleSec === null ? null : { atMs: nowMs, idleSec: r.idleSec, locked };
      return { state: this.stateOf(r.idleSec, locked), idleSec: roundMs(r.idleSec), source: c.source.id };
    }
    return { state: 'unknown', idleSec: null, source: null };
  }

  private extrapolate(nowMs: number, c: SourceState): IdleReading | null {
    const last = this.last;
    if (!last || last.locked) return null;
    const elapsedMs = nowMs - last.atMs;
    if (elapsedMs < 0 || elapsedMs >= this.maxReuseMs) return null;
    const idleSec = last.idleSec + elapsedMs / 1000;
    if (idleSec >= this.thresholdSec) return null;
    return { state: 'active', idleSec: roundMs(idleSec), source: c.source.id };
  }

  private failOver(c: SourceState, nowMs: number): void {
    c.benchedUntilMs = nowMs + this.reprobeMs;
    c.availability = { ok: false, reason: `failed ${c.failures} reads in a row: ${c.lastError}` };
    c.failures = 0;
    this.chosen = null;
  }

  private stateOf(idleSec: number | null, locked: boolean): UserState {
    if (locked) return 'locked';
    if (idleSec === null) return 'unknown';
    return idleSec >= this.thresholdSec ? 'idle' : 'active';
  }

  /** The inhibitor list, refreshed every inhibitorIntervalMs; undefined when it cannot be known. */
  private async readInhibitors(nowMs: number): Promise<string[] | undefined> {
    const src = this.inhibitorSource;
    if (!src) return undefined;
    const fresh = nowMs - this.inhibitorReadMs;
    if (this.inhibitorNames && fresh >= 0 && fresh < this.inhibitorMs) return this.inhibitorNames;
    const probeDue =
      this.inhibitorAvailability === null ||
      (!this.inhibitorAvailability.ok &&
        (this.inhibitorProbeMs === null ||
          nowMs - this.inhibitorProbeMs >= this.backedOff(this.inhibitorFruitlessProbes) ||
          nowMs < this.inhibitorProbeMs));
    if (probeDue) {
      this.inhibitorProbeMs = nowMs;
      this.inhibitorAvailability = await safeAvailable(src);
      this.inhibitorFruitlessProbes = this.inhibitorAvailability.ok ? 0 : this.inhibitorFruitlessProbes + 1;
    }
    if (!this.inhibitorAvailability?.ok) return undefined;
    try {
      const names = [...new Set(await src.read())];
      this.inhibitorNames = names;
      this.inhibitorReadMs = nowMs;
      this.inhibitorFailures = 0;
      return names;
    } catch (e) {
      this.inhibitorNames = null;
      if (++this.inhibitorFailures >= this.maxFailures) {
        this.inhibitorAvailability = { ok: false, reason: `failed: ${e instanceof Error ? e.message : String(e)}` };
        this.inhibitorProbeMs = nowMs;
        this.inhibitorFailures = 0;
      }
      return undefined;
    }
  }

  private noneWorksReason(): string {
    if (this.states.length === 0) return this.noSourcesReason ?? 'no idle sources are configured';
    const reasons = this.states.map((s) => `${s.source.id}: ${reasonOf(s.availability)}`);
    return `no idle source works, so user presence is unknown — ${reasons.join('; ')}`;
  }
}

async function safeAvailable(source: { available(): Promise<Availability> }): Promise<Availability> {
  try {
    return await source.available();
  } catch (e) {
    // The contract says available() never throws; a source that does is as good as unavailable.
    return { ok: false, reason: `probe failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function checkRead(r: IdleRead): IdleRead {
  if (r.idleSec !== null && (typeof r.idleSec !== 'number' || !Number.isFinite(r.idleSec) || r.idleSec < 0)) {
    throw new Error(`source returned idle time ${String(r.idleSec)}`);
  }
  return r;
}

function reasonOf(a: Availability | null): string {
  if (!a) return 'not probed';
  return a.ok ? 'available' : a.reason;
}

function detailOf(a: Availability): string {
  return a.ok && a.detail ? ` (${a.detail})` : '';
}

function roundMs(sec: number | null): number | null {
  return sec === null ? null : Math.round(sec * 1000) / 1000;
}
