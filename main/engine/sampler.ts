import type { EngineGpu, EngineProc, EngineSample, EngineUser, SourceStatus } from '../../shared/engine-types.js';
import type { Collector } from './platform/collector.js';
import type { GpuProcReading, GpuReading } from './platform/gpu.js';
import { History } from './history.js';
import type { ConnEntry, ConnSource } from './platform/conns.js';
import type { ProcReading, ProcsCollector, ProcsReading } from './platform/procs.js';
import type { CpuReading } from './platform/cpu.js';

/** Where the sampler learns whether the user is at the machine (the idle monitor, or a scripted one in tests). */
export interface IdleProvider {
  read(nowMs: number): Promise<EngineUser>;
  status(): SourceStatus;
  /** Further sources the provider consults (a fullscreen window, a gamepad), each with its health. */
  extraStatus?(): SourceStatus[];
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface SamplerOptions {
  procs: ProcsCollector;
  cpu: Collector<CpuReading>;
  gpus: Collector<GpuReading>[];
  idle: IdleProvider;
  intervalMs?: number;
  historyCapacity?: number;
  /** How often a GPU source that was unavailable is probed again (a driver installed later). */
  reprobeMs?: number;
  /**
   * Longest time between full process passes while the machine is quiet (default 30 s). New,
   * busy and GPU-using processes are read every tick; a jump in CPU use that they do not explain
   * (a quiet process waking up) or a GPU user we have not seen triggers a full pass at once.
   */
  fullPassEveryMs?: number;
  /**
   * Per-process network connections (Linux: LinuxConnTracker). Asked after each process pass; it
   * reads only on full passes and carries its lists between them.
   */
  conns?: ConnSource;
  now?: () => number;
}

type SampleListener = (sample: EngineSample) => void;

interface GpuSlot {
  collector: Collector<GpuReading>;
  active: boolean;
  reason: string;
  nextProbeAt: number;
}

/**
 * Combines every collector into one sample per tick and keeps a bounded history.
 * Ticks never overlap: the next one is scheduled when the previous one finished, aligned to the
 * interval grid so the cadence does not drift.
 */
export class Sampler {
  readonly intervalMs: number;
  readonly history: History;
  private readonly opts: SamplerOptions;
  private readonly gpuSlots: GpuSlot[];
  private readonly listeners = new Set<SampleListener>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private started = false;
  private latestSample: EngineSample | null = null;
  private tickError: string | null = null;
  private inFlight: Promise<EngineSample> | null = null;
  private lastFullAt = Number.NEGATIVE_INFINITY;
  /** CPU (one-core %) the process list did not explain at the last full pass: irq time, short-lived processes. */
  private baselineUnexplained = 0;
  private knownPids = new Set<number>();
  private explainedCpu = 0;
  /**
   * After a full pass that unexplained CPU asked for but that found nobody newly busy (the load came
   * from processes that had already exited: a compile, a build's short-lived tools), the next such
   * pass waits this long; it doubles up to the cadence and resets when a pass finds the cause.
   */
  private unexplainedHoldoffMs = 0;
  /** Last tick's EngineProc per unchanged reading (see combine). Weak: readings of exited processes go. */
  private readonly reuse = new WeakMap<ProcReading, EngineProc>();
  /** Counts of full and hot passes, for the overhead readout and tests. */
  readonly passes = { full: 0, hot: 0 };
  /** The last tick's rows, for combine's shortcut when the process list is the same. */
  private readonly lastRows: LastRows = { readings: null, out: [], special: [] };

  constructor(opts: SamplerOptions) {
    this.opts = opts;
    this.intervalMs = opts.intervalMs ?? 1000;
    if (!(this.intervalMs >= 100)) throw new Error(`sampling interval must be at least 100 ms, got ${this.intervalMs}`);
    this.history = new History(opts.historyCapacity ?? 3600);
    this.now = opts.now ?? Date.now;
    this.gpuSlots = opts.gpus.map((collector) => ({
      collector,
      active: false,
      reason: 'not probed yet',
      nextProbeAt: 0,
    }));
  }

  /** Starts every source that works (those that do not are reported, and re-probed later). */
  async init(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all([this.opts.procs.start(), this.opts.cpu.start(), this.opts.idle.start?.()]);
    await Promise.all(this.gpuSlots.map((slot) => this.probeGpu(slot)));
  }

  /** Begins ticking every intervalMs until stop(). */
  async start(): Promise<void> {
    await this.init();
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    await Promise.all([
      this.opts.procs.stop(),
      this.opts.cpu.stop(),
      this.opts.idle.stop?.(),
      ...this.gpuSlots.map((s) => s.collector.stop()),
    ]);
    this.started = false;
  }

  onSample(listener: SampleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get latest(): EngineSample | null {
    return this.latestSample;
  }

  /** Every source with its health, for `probe`, the watch view and the UI. */
  sources(): SourceStatus[] {
    const out: SourceStatus[] = [this.opts.procs.status(), this.opts.cpu.status()];
    for (const slot of this.gpuSlots) {
      out.push(
        slot.active
          ? slot.collector.status()
          : { id: slot.collector.id, label: slot.collector.label, health: 'unavailable', detail: slot.reason },
      );
    }
    out.push(this.opts.idle.status(), ...(this.opts.idle.extraStatus?.() ?? []));
    if (this.tickError) out.push({ id: 'sampler', label: 'Sampler', health: 'degraded', detail: this.tickError });
    return out;
  }

  /** Takes one sample now (also used by tests and by `record` for its first line). */
  async tick(): Promise<EngineSample> {
    if (!this.started) await this.init();
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.collect().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private schedule(): void {
    if (!this.running) return;
    const now = this.now();
    const delay = this.intervalMs - (now % this.intervalMs);
    this.timer = setTimeout(() => {
      this.tick()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, delay);
  }

  /** Why this tick needs a full pass, or null for a hot pass. */
  private fullPassReason(
    at: number,
    cpu: CpuReading,
    unknownGpuUser: boolean,
  ): 'cadence' | 'gpu' | 'unexplained' | null {
    const every = this.opts.fullPassEveryMs ?? 30_000;
    if (at - this.lastFullAt >= every || at < this.lastFullAt) return 'cadence'; // or the clock stepped back
    if (unknownGpuUser) return 'gpu';
    if (cpu.cpu === null) return null;
    // A process we are not re-reading started to work (a miner waking up): system CPU rises
    // beyond what the busy processes explain.
    if (at - this.lastFullAt < this.unexplainedHoldoffMs) return null;
    const unexplained = cpu.cpu * cpu.cores - this.explainedCpu;
    return unexplained - this.baselineUnexplained > 10 ? 'unexplained' : null;
  }

  /** Called after a full pass unexplained CPU asked for: did it find the busy process it looked for? */
  private noteUnexplainedPass(explainedBefore: number | null, explainedAfter: number): void {
    const every = this.opts.fullPassEveryMs ?? 30_000;
    const found = explainedBefore !== null && explainedAfter - explainedBefore > 10;
    this.unexplainedHoldoffMs = found ? 0 : Math.min(every, Math.max(2000, this.unexplainedHoldoffMs * 2));
  }

  private async probeGpu(slot: GpuSlot): Promise<void> {
    const availability = await slot.collector.available();
    if (availability.ok) {
      await slot.collector.start();
      slot.active = true;
    } else {
      slot.active = false;
      slot.reason = availability.reason;
      slot.nextProbeAt = this.now() + (this.opts.reprobeMs ?? 60_000);
    }
  }

  private async collect(): Promise<EngineSample> {
    const t0 = performance.now();
    const at = this.now();
    for (const slot of this.gpuSlots) {
      // Fire and forget: a probe may take seconds and must never delay a tick.
      if (!slot.active && at >= slot.nextProbeAt) {
        slot.nextProbeAt = Number.POSITIVE_INFINITY;
        void this.probeGpu(slot);
      }
    }
    const active = this.gpuSlots.filter((s) => s.active);
    try {
      const [cpu, user, ...gpuReadings] = await Promise.all([
        this.opts.cpu.sample(at),
        this.opts.idle.read(at),
        ...active.map((s) => s.collector.sample(at)),
      ]);
      const gpuPids: number[] = [];
      let unknownGpuUser = false;
      for (const r of gpuReadings) {
        for (const p of r.procs) {
          gpuPids.push(p.pid);
          if (!this.knownPids.has(p.pid)) unknownGpuUser = true;
        }
      }
      const reason = this.fullPassReason(at, cpu, unknownGpuUser);
      const full = reason !== null;
      // The first pass has no CPU deltas yet: what it explained says nothing about the next one.
      const explainedBefore = this.passes.full + this.passes.hot >= 2 ? this.explainedCpu : null;
      const procs = await this.opts.procs.sample(at, { full, watch: gpuPids });
      if (procs.full) {
        this.passes.full++;
        this.lastFullAt = at;
        this.knownPids = new Set(procs.procs.map((p) => p.pid));
        // A GPU user outside our /proc view (another pid namespace) must not force a full pass every tick.
        for (const pid of gpuPids) this.knownPids.add(pid);
      } else {
        this.passes.hot++;
      }
      this.explainedCpu = 0;
      for (const p of procs.procs) this.explainedCpu += p.cpu;
      if (procs.full && reason === 'unexplained') this.noteUnexplainedPass(explainedBefore, this.explainedCpu);
      if (procs.full && cpu.cpu !== null)
        this.baselineUnexplained = Math.max(0, cpu.cpu * cpu.cores - this.explainedCpu);
      let conns: ReadonlyMap<number, ConnEntry> | undefined;
      if (this.opts.conns) {
        try {
          conns = this.opts.conns.update(procs.procs, { full: procs.full, watch: gpuPids, at });
        } catch {
          // Connections are extra evidence: a failure to read them must not cost the tick.
        }
      }
      const sample = combine(at, procs, cpu, user, gpuReadings, conns, this.reuse, this.lastRows);
      sample.tickMs = Math.round((performance.now() - t0) * 100) / 100;
      this.tickError = null;
      this.latestSample = sample;
      this.history.push(sample);
      for (const listener of this.listeners) {
        try {
          listener(sample);
        } catch {
          // A listener's bug must not stop sampling.
        }
      }
      return sample;
    } catch (e) {
      this.tickError = `a tick failed: ${(e as Error).message}`;
      throw e;
    }
  }
}

/** What combine keeps between ticks: the readings list and rows it made, and its non-plain rows. */
export interface LastRows {
  readings: ProcReading[] | null;
  out: EngineProc[];
  /** Indices of rows made with GPU use or connections (never reused: made again every tick). */
  special: number[];
}

/**
 * Joins process, CPU, idle and GPU readings into one sample (exported for tests). With `last`, a
 * tick whose process list is the previous one (`procs.same`) copies the previous rows and makes
 * again only those re-read, those with GPU use or connections now or last tick: the same rows the
 * walk over every process would make, without touching every process every second.
 */
export function combine(
  at: number,
  procs: ProcsReading,
  cpu: CpuReading,
  user: EngineUser,
  gpuReadings: GpuReading[],
  conns?: ReadonlyMap<number, ConnEntry>,
  reuse?: WeakMap<ProcReading, EngineProc>,
  last?: LastRows,
): EngineSample {
  const gpus: EngineGpu[] = [];
  const byPid = new Map<number, GpuProcReading[]>();
  for (const reading of gpuReadings) {
    for (const d of reading.devices) {
      gpus.push({
        id: d.id,
        vendor: d.vendor,
        name: d.name,
        memoryMiB: d.memoryMiB,
        util: d.util,
        memUsedMiB: d.memUsedMiB,
      });
    }
    for (const p of reading.procs) {
      const list = byPid.get(p.pid);
      if (list) list.push(p);
      else byPid.set(p.pid, [p]);
    }
  }
  const list = procs.procs;
  let out: EngineProc[];
  const special: number[] = [];
  const same = procs.same;
  if (same && reuse && last && last.readings === list && last.out.length === list.length) {
    out = last.out.slice();
    const again = new Set<number>(same.reread);
    for (const i of last.special) again.add(i);
    for (const pid of byPid.keys()) {
      const i = same.indexOf(pid);
      if (i !== undefined) again.add(i);
    }
    if (conns) {
      for (const pid of conns.keys()) {
        const i = same.indexOf(pid);
        if (i !== undefined) again.add(i);
      }
    }
    for (const i of again) if (makeRow(list[i]!, i, out, byPid, conns, reuse)) special.push(i);
  } else {
    out = new Array(list.length);
    for (let i = 0; i < list.length; i++) if (makeRow(list[i]!, i, out, byPid, conns, reuse)) special.push(i);
  }
  if (last) {
    last.readings = list;
    last.out = out;
    last.special = special;
  }
  return {
    at,
    user,
    system: { cpu: cpu.cpu, cores: cpu.cores },
    gpus,
    procs: out,
    unreadable: procs.unreadable,
    tickMs: 0,
  };
}

/** Sets out[i] for one reading; true when the row is special (GPU use or connections). */
function makeRow(
  p: ProcReading,
  i: number,
  out: EngineProc[],
  byPid: ReadonlyMap<number, GpuProcReading[]>,
  conns: ReadonlyMap<number, ConnEntry> | undefined,
  reuse: WeakMap<ProcReading, EngineProc> | undefined,
): boolean {
  const connEntry = conns && conns.size > 0 ? conns.get(p.pid) : undefined;
  const conn = connEntry && connEntry.startTimeMs === p.startTimeMs ? connEntry.conns : undefined;
  // A quiet process comes back as the same reading object (the collector replaces it when the
  // process execs, and updates its figures in place): when those figures have not moved and it
  // has no GPU use or connections, last tick's EngineProc is handed out again. A thousand fresh
  // objects a second were most of the engine's garbage. Samples are read-only for everyone.
  const plain = !byPid.has(p.pid) && conn === undefined;
  if (plain && reuse) {
    const prev = reuse.get(p);
    if (prev && prev.cpu === p.cpu && prev.ppid === p.ppid && prev.rssKiB === p.rssKiB) {
      out[i] = prev;
      return false;
    }
  }
  let gpu: number | null = null;
  let gpuMemMiB: number | null = null;
  let gpuId: string | null = null;
  const uses = byPid.get(p.pid);
  if (uses) {
    // Its busiest GPU gives `gpu`; memory adds up across GPUs.
    for (const u of uses) {
      if (u.util !== null && (gpu === null || u.util > gpu)) {
        gpu = u.util;
        gpuId = u.gpuId;
      }
      if (u.memMiB !== null) gpuMemMiB = (gpuMemMiB ?? 0) + u.memMiB;
    }
    if (gpuId === null) gpuId = uses[0]?.gpuId ?? null;
  }
  // Spelled out rather than spread from identityOf(): this literal is the tick's hottest
  // allocation, and one object shape keeps it cheap.
  const row: EngineProc = {
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    exe: p.exe,
    cmdline: p.cmdline,
    user: p.user,
    startTimeMs: p.startTimeMs,
    cpu: p.cpu,
    gpu,
    gpuMemMiB,
    gpuId,
    rssKiB: p.rssKiB,
  };
  out[i] = row;
  if (conn !== undefined) row.conns = conn;
  else if (plain && reuse) reuse.set(p, row);
  return !plain;
}
