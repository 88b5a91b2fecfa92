import type { Collector } from './collector.js';
import type { ConnSource } from './conns.js';
import type { CpuReading } from './cpu.js';
import type { GpuReading } from './gpu.js';
import type { FullscreenSource, IdleSource, InhibitorSource, InputActivitySource } from './idle.js';
import type { ProcsCollector } from './procs.js';

/** An ordered idle source list that also says why it is empty (IdleMonitor shows that in its status). */
export type IdleSourceList = IdleSource[] & { reason: string | null };

/**
 * Everything one operating system contributes to the engine. Each platform folder builds one of
 * these; platform/select.ts picks which, and nothing else in the engine asks what OS it runs on.
 */
export interface PlatformCollectors {
  procs: ProcsCollector;
  cpu: Collector<CpuReading>;
  gpus: Collector<GpuReading>[];
  /** How long the user has been away, best source first; `reason` says why the list is empty. */
  idleSources: IdleSourceList;
  /** Who holds a screen-saver inhibitor, or null where the platform has no such list. */
  inhibitors: InhibitorSource | null;
  /** Live per-process connections, or null where the platform has no cheap source yet. */
  conns: ConnSource | null;
  /** Whether a fullscreen app (a game) has the screen; a source that says why not where none exists. */
  fullscreen: FullscreenSource;
  /** Gamepad input, which the idle sources do not count. */
  gamepad: InputActivitySource;
}

/** A fullscreen source for a platform without one: `probe` and the window say why. */
export function noFullscreen(id: string, reason: string): FullscreenSource {
  return {
    id,
    label: 'Fullscreen app',
    available: async () => ({ ok: false, reason }),
    read: async () => {
      throw new Error(reason);
    },
  };
}

/** A gamepad source for a platform without one. */
export function noGamepad(id: string, reason: string): InputActivitySource {
  return {
    id,
    label: 'Gamepad input',
    available: async () => ({ ok: false, reason }),
    read: async () => {
      throw new Error(reason);
    },
  };
}

/** Attaches the reason a list may be empty. */
export function idleSourceList(sources: IdleSource[], reason: string | null): IdleSourceList {
  return Object.assign(sources, { reason: sources.length > 0 ? null : reason });
}
