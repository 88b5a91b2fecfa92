import type { EngineSnapshot, SourceStatus } from '../../shared/engine-types.js';
import type { Platform } from '../../shared/trace.js';
import type { Availability, Collector } from './collector.js';
import type { GpuReading } from './gpu/gpu-types.js';
import { defaultInhibitorSource } from './idle/default-sources.js';
import { defaultIdleSources, IdleMonitor, type IdleSourceList } from './idle/idle-monitor.js';
import type { IdleSource } from './idle/idle-types.js';
import { type ConnSource, LinuxConnTracker } from './net/conn-tracker.js';
import { logicalCores } from './procs/linux-procs.js';
import type { ProcsReading } from './procs/proc-types.js';
import { platformCollectors } from './platform/select.js';
import { type IdleProvider, Sampler } from './sampler.js';
import type { CpuReading } from './system/linux-cpu.js';

export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_IDLE_THRESHOLD_SEC = 60;
export const DEFAULT_HISTORY_CAPACITY = 3600;

export interface EngineOptions {
  intervalMs?: number;
  idleThresholdSec?: number;
  historyCapacity?: number;
  /** Replaces the platform's idle sources (the Electron shell passes powerMonitor first; tests pass scripted ones). */
  idleSources?: IdleSource[];
  /** Replaces the whole idle provider (tests). */
  idle?: IdleProvider;
  /** Replaces the GPU collectors (tests). */
  gpus?: Collector<GpuReading>[];
  /** Replaces the connection source (Linux default: LinuxConnTracker); null turns it off. */
  conns?: ConnSource | null;
}

export interface ProbeEntry {
  id: string;
  label: string;
  kind: 'processes' | 'cpu' | 'gpu' | 'idle';
  availability: Availability;
}

/** The engine: collectors for this platform wired into one sampler. No Electron here. */
export class Engine {
  readonly sampler: Sampler;
  readonly platform: Platform;
  readonly idleThresholdSec: number;
  readonly procs: Collector<ProcsReading>;
  readonly cpu: Collector<CpuReading>;
  readonly gpus: Collector<GpuReading>[];
  readonly idle: IdleProvider;
  private readonly idleMonitor: IdleMonitor | null;

  constructor(opts: EngineOptions = {}) {
    this.platform = currentPlatform();
    const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.idleThresholdSec = opts.idleThresholdSec ?? DEFAULT_IDLE_THRESHOLD_SEC;
    const linux = this.platform === 'linux';
    const chosen = platformCollectors(this.platform, intervalMs);
    this.procs = chosen.procs;
    this.cpu = chosen.cpu;
    this.gpus = opts.gpus ?? chosen.gpus;
    if (opts.idle) {
      this.idle = opts.idle;
      this.idleMonitor = null;
    } else {
      this.idleMonitor = new IdleMonitor({
        sources:
          opts.idleSources ??
          withPlatformSources(defaultIdleSources(process.platform, process.env), chosen.idleSources),
        inhibitors: defaultInhibitorSource(process.platform, process.env),
        idleThresholdSec: this.idleThresholdSec,
      });
      this.idle = this.idleMonitor;
    }
    this.sampler = new Sampler({
      procs: this.procs,
      cpu: this.cpu,
      gpus: this.gpus,
      idle: this.idle,
      intervalMs,
      historyCapacity: opts.historyCapacity ?? DEFAULT_HISTORY_CAPACITY,
      conns: (opts.conns === undefined ? (linux ? new LinuxConnTracker() : null) : opts.conns) ?? undefined,
    });
  }

  start(): Promise<void> {
    return this.sampler.start();
  }

  stop(): Promise<void> {
    return this.sampler.stop();
  }

  sources(): SourceStatus[] {
    return this.sampler.sources();
  }

  snapshot(): EngineSnapshot {
    return {
      latest: this.sampler.latest,
      sources: this.sampler.sources(),
      history: this.sampler.history.toArray(),
      intervalMs: this.sampler.intervalMs,
      idleThresholdSec: this.idleThresholdSec,
      platform: this.platform,
    };
  }

  /** Asks every source whether it works here, without starting anything long-lived. */
  async probe(): Promise<ProbeEntry[]> {
    const entries: Promise<ProbeEntry>[] = [
      this.procs
        .available()
        .then((availability) => ({ id: this.procs.id, label: this.procs.label, kind: 'processes', availability })),
      this.cpu
        .available()
        .then((availability) => ({ id: this.cpu.id, label: this.cpu.label, kind: 'cpu', availability })),
      ...this.gpus.map((g) =>
        g.available().then((availability) => ({ id: g.id, label: g.label, kind: 'gpu' as const, availability })),
      ),
    ];
    const idle = this.idleMonitor
      ? this.idleMonitor
          .probeAll()
          .then((list) =>
            list.map((s): ProbeEntry => ({ id: s.id, label: s.label, kind: 'idle', availability: s.availability })),
          )
      : Promise.resolve<ProbeEntry[]>([]);
    const [fixed, idleEntries] = await Promise.all([Promise.all(entries), idle]);
    return [...fixed, ...idleEntries];
  }

  get cpuCores(): number {
    return logicalCores();
  }
}

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'win32' || p === 'darwin' ? p : 'linux';
}

/** The desktop's idle sources, then the platform collectors' own (Windows GetLastInputInfo, macOS HIDIdleTime). */
function withPlatformSources(desktop: IdleSourceList, own: IdleSource[]): IdleSourceList {
  if (own.length === 0) return desktop;
  return Object.assign([...desktop, ...own], { reason: null });
}
