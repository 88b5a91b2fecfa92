import type { Incident } from '../../../../shared/detection.js';
import type { EventChannel, EventContract, IncidentView, PausedProcess } from '../../../../shared/ipc.js';
import type { ScanReport } from '../../../../shared/scan.js';
import type { Settings } from '../../../../shared/settings.js';
import type { Monitor } from '../../monitor.js';
import type { QuarantineStore } from '../../quarantine/store.js';
import type { ReviewStore } from '../../store/review-file.js';
import type { ServiceActivity } from '../activity.js';

/**
 * What the request handlers may use of the service: the live monitor (replaced when detection
 * settings change, so always read through `monitor`), the stores the service keeps beside it, and
 * the service's views and events. One narrow interface, so each group of handlers can live in a
 * module of its own without reaching into the service's internals.
 */
export interface ServiceContext {
  readonly monitor: Monitor;
  readonly dataDir: string;
  readonly reviews: ReviewStore;
  /** Incidents of earlier runs (and of monitors replaced by a settings change), by key. */
  readonly historic: Map<string, Incident>;
  /** Processes Idlewatch paused and has not resumed, by key. */
  readonly pausedProcs: Map<string, PausedProcess>;
  now(): number;
  view(i: Incident, live: boolean): IncidentView;
  liveViews(): IncidentView[];
  allViews(): IncidentView[];
  emit<C extends EventChannel>(channel: C, payload: EventContract[C]): void;
  /** Sends the status if it changed. */
  emitStatus(): void;
  /** Tells the service's activity listeners (the SIEM event feed) what an action did. */
  activity(a: ServiceActivity): void;
  /** New detection settings take effect in a fresh monitor. */
  restartMonitor(): Promise<void>;
  settings(): Settings;
  /** Where every removal keeps what it removed. */
  readonly quarantine: QuarantineStore;
  /** The last deep scan's report (fixes act on its findings). */
  scanReport(): ScanReport | null;
}
