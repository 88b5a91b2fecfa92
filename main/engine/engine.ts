import type { EngineSnapshot, SourceStatus } from '../../shared/engine-types.js';
import type { Platform } from '../../shared/trace.js';
import { probeResolverCache } from './dns/resolver-watch.js';
import type { Availability, Collector } from './platform/collector.js';
import type { GpuReading } from './platform/gpu.js';
import { IdleMonitor } from './idle/idle-monitor.js';
import { PresenceMonitor } from './idle/presence-monitor.js';
import type { ConnSource } from './platform/conns.js';
import { type CpuReading, logicalCores } from './platform/cpu.js';
import type { FullscreenSource, IdleSource, InputActivitySource } from './platform/idle.js';
import type { ProcsReading } from './platform/procs.js';
import { platformCollectors } from './platform/select.js';
import { type IdleProvider, Sampler } from './sampler.js';

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
  /** Replaces the platform's fullscreen source (tests); null turns it off. */
  fullscreenSource?: FullscreenSource | null;
  /** Replaces the platform's gamepad source (tests); null turns it off. */
  gamepadSource?: InputActivitySource | null;
}

export interface ProbeEntry {
  id: string;
  label: string;
  kind: 'processes' | 'cpu' | 'gpu' | 'idle' | 'fullscreen' | 'gamepad' | 'dns';
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
  /** Fullscreen games and gamepads around the idle monitor; null when a test replaced the idle provider. */
  readonly presence: PresenceMonitor | null;

  constructor(opts: EngineOptions = {}) {
    this.platform = currentPlatform();
    const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.idleThresholdSec = opts.idleThresholdSec ?? DEFAULT_IDLE_THRESHOLD_SEC;
    const chosen = platformCollectors(this.platform, intervalMs);
    this.procs = chosen.procs;
    this.cpu = chosen.cpu;
    this.gpus = opts.gpus ?? chosen.gpus;
    if (opts.idle) {
      this.idle = opts.idle;
      this.idleMonitor = null;
      this.presence = null;
    } else {
      this.idleMonitor = new IdleMonitor({
        sources: opts.idleSources ?? chosen.idleSources,
        inhibitors: chosen.inhibitors,
        idleThresholdSec: this.idleThresholdSec,
      });
      this.presence = new PresenceMonitor({
        idle: this.idleMonitor,
        fullscreen: opts.fullscreenSource === undefined ? chosen.fullscreen : opts.fullscreenSource,
        gamepad: opts.gamepadSource === undefined ? chosen.gamepad : opts.gamepadSource,
        idleThresholdSec: this.idleThresholdSec,
      });
      this.idle = this.presence;
    }
    this.sampler = new Sampler({
      procs: this.procs,
      cpu: this.cpu,
      gpus: this.gpus,
      idle: this.idle,
      intervalMs,
      historyCapacity: opts.historyCapacity ?? DEFAULT_HISTORY_CAPACITY,
      conns: (opts.conns === undefined ? chosen.conns : opts.conns) ?? undefined,
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

  /** A game the user launched has the screen: notifications wait until it ends. */
  quietForFullscreen(): boolean {
    return this.presence?.quiet() === true;
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
      probeResolverCache(this.platform).then((availability) => ({
        id: 'resolver-cache',
        label: 'Resolver cache (mining domains as pool evidence)',
        kind: 'dns',
        availability,
      })),
    ];
    const idle = this.idleMonitor
      ? this.idleMonitor
          .probeAll()
          .then((list) =>
            list.map((s): ProbeEntry => ({ id: s.id, label: s.label, kind: 'idle', availability: s.availability })),
          )
      : Promise.resolve<ProbeEntry[]>([]);
    const presence = this.presence
      ? this.presence
          .probeAll()
          .then((list) =>
            list.map((s): ProbeEntry => ({ id: s.id, label: s.label, kind: s.kind, availability: s.availability })),
          )
      : Promise.resolve<ProbeEntry[]>([]);
    const [fixed, idleEntries, presenceEntries] = await Promise.all([Promise.all(entries), idle, presence]);
    return [...fixed, ...idleEntries, ...presenceEntries];
  }

  get cpuCores(): number {
    return logicalCores();
  }
}

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'win32' || p === 'darwin' ? p : 'linux';
}
