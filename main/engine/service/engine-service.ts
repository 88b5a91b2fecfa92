import type { AwaySummary, Incident, Severity } from '../../../shared/detection.js';
import { type EngineSample, summarizeSample, type WindowSnapshot } from '../../../shared/engine-types.js';
import type {
  EngineStatus,
  EventChannel,
  EventContract,
  IncidentView,
  InvokeHandlers,
  PausedProcess,
} from '../../../shared/ipc.js';
import { processKey } from '../../../shared/identity.js';
import { validateInvoke } from '../../../shared/ipc-schema.js';
import { ProcStreamEncoder } from '../../../shared/proc-stream.js';
import type { Settings } from '../../../shared/settings.js';
import type { StoreProblem } from '../../../shared/storage.js';
import { Monitor, type MonitorEvent, type MonitorOptions } from '../monitor.js';
import type { DeepScanOptions } from '../scan/deep-scan.js';
import { runDeepScanIsolated } from '../scan/scan-isolated.js';
import { ensureDataDir } from '../store/data-dir.js';
import { importLegacyBackups, legacyBackupFolders } from '../quarantine/legacy-backups.js';
import { QuarantineStore } from '../quarantine/store.js';
import { ReviewStore } from '../store/review-file.js';
import type { LockOwner } from '../store/sampler-lock.js';
import { rereadSettings } from '../store/settings-file.js';
import type { ServiceActivity } from './activity.js';
import { allowlistHandlers } from './handlers/allowlist.js';
import type { ServiceContext } from './handlers/context.js';
import { type HostsBlockServiceOptions, hostsBlockHandlers } from './handlers/hosts-block.js';
import { incidentHandlers } from './handlers/incidents.js';
import { processHandlers } from './handlers/processes.js';
import { quarantineChanged, quarantineHandlers } from './handlers/quarantine.js';
import { applySettings, settingsHandlers } from './handlers/settings.js';
import { incidentKey, liveProcFor, openCounts, toView, type ViewContext } from './incident-views.js';
import { awayLoad } from './process-details.js';
import { type GateHooks, SamplerGate } from './sampler-gate.js';
import { type ScanFn, ScanRunner } from './scan-runner.js';

export interface EngineServiceOptions extends MonitorOptions {
  /** Replaces the deep scan (tests); default runDeepScanIsolated (in a worker thread). */
  scan?: ScanFn;
  /** Extra options for every deep scan (a test root, a smaller hidden-process probe). */
  scanOptions?: Partial<DeepScanOptions>;
  /**
   * Hold the data folder's sampler lock as this owner (the app's engine): when another process
   * (the daemon) holds it, this service does not sample but shows the incidents the holder records,
   * and starts sampling once the lock is free. Absent: no lock (tests, the end-to-end harness).
   */
  samplerLock?: LockOwner;
  /** How often a waiting service looks at the lock again (default 5 s). */
  samplerPollMs?: number;
  now?: () => number;
  /**
   * Where an older Idlewatch's `.NAME.idlewatch-backup-STAMP` files are looked for and moved into
   * the quarantine on start: `/` for the app, a test root in tests; null or absent: not looked for.
   */
  legacyBackupRoot?: string | null;
  /** The hosts block the Settings screen turns on and off: a test root (written directly) or a fake elevator. */
  hostsBlock?: HostsBlockServiceOptions;
}

/** What the shell shows as a desktop notification (already rate-limited by the engine's policy). */
export interface ServiceNotification {
  title: string;
  body: string;
  severity: Exclude<Severity, 'low'>;
  /** The incident a click opens (the first one of a grouped message); null when it cannot be told. */
  incidentKey: string | null;
  /** How many processes the message is about. */
  count: number;
}

type EventListener = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void;

/** How often the running totals of live incidents are re-sent. */
const INCIDENT_REFRESH_MS = 5000;

/** Longest single timer; a longer pause re-arms (setTimeout overflows past about 24.8 days). */
const MAX_TIMER_MS = 24 * 3600_000;

export class EngineService {
  readonly handlers: InvokeHandlers;
  private monitor: Monitor;
  private readonly historic = new Map<string, Incident>();
  private readonly pausedProcs = new Map<string, PausedProcess>();
  private readonly eventListeners = new Set<EventListener>();
  private readonly notifyListeners = new Set<(n: ServiceNotification) => void>();
  private readonly activityListeners = new Set<(a: ServiceActivity) => void>();
  private readonly scan: ScanRunner;
  private readonly now: () => number;
  private problems: StoreProblem[];
  private pausedUntil: number | null = null;
  private pauseTimer: NodeJS.Timeout | null = null;
  private suspended = false;
  private started = false;
  private error: string | null = null;
  /** The sampler lock, when this service must hold it (opts.samplerLock). */
  private gate: SamplerGate | null = null;
  /** Why this service does not sample: another process holds the data folder; null when it samples. */
  private standby: string | null = null;
  /** Whether a monitor of this service ever started (a later start opens a fresh one). */
  private monitorRan = false;
  /** The history file's size and time when last read while waiting. */
  private historyStamp = '';
  private away: AwaySummary | null = null;
  private lastStatus = '';
  private unsubscribeMonitor: (() => void) | null = null;
  private restarting: Promise<void> = Promise.resolve();
  private lastRefreshAt = 0;
  /** Whether the window is shown: a monitor started after a restart is told at once. */
  private windowVisible = false;
  /** key → the figures last sent for it (so unchanged incidents are not re-sent). */
  private readonly sentFigures = new Map<string, string>();
  /** The process stream to the window, while it subscribed ('engine:procs'); null otherwise. */
  private procStream: ProcStreamEncoder | null = null;

  private constructor(
    private readonly opts: EngineServiceOptions,
    monitor: Monitor,
    private readonly reviews: ReviewStore,
    historic: Incident[],
    problems: StoreProblem[],
    private readonly quarantine: QuarantineStore,
  ) {
    this.now = opts.now ?? Date.now;
    this.monitor = monitor;
    for (const i of historic) this.historic.set(incidentKey(i), i);
    this.problems = problems;
    // In a worker thread of its own, so that Cancel always ends it (see scan-isolated.ts).
    const scan = opts.scan ?? runDeepScanIsolated;
    this.scan = new ScanRunner({
      // The scan looks at the machine now; the monitor adds what browsers did while the user was away.
      scan: async (o) => {
        const report = await scan(o);
        const history = this.monitor.recent();
        const interval = this.monitor.intervalMs;
        return {
          ...report,
          browsers: report.browsers.map((b) => ({ ...b, whileAway: awayLoad(b.pid, history, interval) })),
        };
      },
      options: () => ({
        allowlist: this.monitor.allowlist,
        hashCache: this.monitor.allowlist.hashCache,
        dataDir: this.opts.dataDir,
        ...this.opts.scanOptions,
      }),
      onChange: (s) => this.emit('scan:state', s),
      quarantine,
      now: this.now,
    });
    this.handlers = this.buildHandlers();
  }

  static async open(opts: EngineServiceOptions): Promise<EngineService> {
    await ensureDataDir(opts.dataDir);
    const monitor = await Monitor.open(opts);
    const reviews = await ReviewStore.load(opts.dataDir, { now: opts.now });
    const problems = [...monitor.problems, ...reviews.problems];
    // History older than the retention setting goes first; then the rest is what the window lists.
    await monitor.history.prune(monitor.settings.historyRetentionDays).catch((e: unknown) => {
      problems.push({
        file: monitor.history.path,
        problem: `could not prune old incidents: ${errText(e)}`,
        movedTo: null,
      });
    });
    const read = await monitor.history.read();
    problems.push(...read.problems);
    const quarantine = await QuarantineStore.open(opts.dataDir);
    return new EngineService(
      opts,
      monitor,
      reviews,
      read.records.map((r) => r.incident),
      problems,
      quarantine,
    );
  }

  /** Validates a request from the window against the contract's schemas, then runs its handler. */
  async invoke(channel: unknown, args: unknown): Promise<unknown> {
    const valid = validateInvoke(channel, args);
    const handler = this.handlers[channel as keyof InvokeHandlers] as (...a: unknown[]) => unknown;
    return handler(...valid);
  }

  onEvent(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onNotify(listener: (n: ServiceNotification) => void): () => void {
    this.notifyListeners.add(listener);
    return () => this.notifyListeners.delete(listener);
  }

  /** Actions taken on processes, whatever their outcome (the SIEM event feed listens). */
  onActivity(listener: (a: ServiceActivity) => void): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  get settings(): Settings {
    return { ...this.monitor.settings };
  }

  /** The live monitor (tests and the CLI look at its engine). */
  get current(): Monitor {
    return this.monitor;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.opts.samplerLock) {
      this.gate = new SamplerGate(this.opts.dataDir, this.opts.samplerLock, this.gateHooks(), {
        pollMs: this.opts.samplerPollMs,
      });
      await this.gate.open();
      return;
    }
    await this.startMonitor();
    void this.importLegacyBackups();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    this.scan.cancel();
    await this.restarting;
    await this.stopMonitor();
    await this.gate?.close();
    this.gate = null;
    await this.scan.idle();
  }

  /**
   * Reads settings.json again and puts it into effect (the daemon's SIGHUP: an administrator edited
   * the file). A file that does not read or validate changes nothing: the error says what and where.
   */
  async reloadSettings(): Promise<{ ok: true; settings: Settings } | { ok: false; error: string }> {
    const read = await rereadSettings(this.opts.dataDir);
    if (!read.ok) return read;
    return { ok: true, settings: await applySettings(this.context(), read.value) };
  }

  /** The machine is going to sleep: sampling stops; nothing the detector sees spans the sleep. */
  async suspend(): Promise<void> {
    if (this.suspended) return;
    this.suspended = true;
    await this.monitor.suspendSampling();
    this.emitStatus();
  }

  /** The machine woke up: sampling restarts (unless the user paused monitoring). */
  async resume(): Promise<void> {
    if (!this.suspended) return;
    this.suspended = false;
    if (this.pausedUntil === null && this.started) await this.monitor.resumeSampling();
    this.emitStatus();
  }

  status(): EngineStatus {
    return {
      pausedUntil: this.pausedUntil,
      suspended: this.suspended,
      problems: this.problems.map((p) => ({ ...p })),
      error: this.error ?? this.standby,
      dataDir: this.opts.dataDir,
      open: openCounts(this.liveViews()),
      paused: [...this.pausedProcs.values()].map((k) => ({ ...k })),
    };
  }

  /**
   * Every invoke channel, grouped by area (handlers/): the engine's own state stays here, the rest
   * reaches the service only through its ServiceContext. `tsc` checks the groups cover the contract.
   */
  private buildHandlers(): InvokeHandlers {
    const ctx = this.context();
    return {
      'engine:snapshot': () => this.windowSnapshot(),
      'engine:procs': (subscribe) => this.subscribeProcs(subscribe),
      'engine:status': () => this.status(),
      'engine:setPaused': (until) => this.setPaused(until),
      'away:latest': () => this.away,
      'window:visibility': (visible) => {
        this.windowVisible = visible;
        this.monitor.setWindowVisible(visible);
        return visible;
      },
      'scan:start': () => this.scan.start(),
      'scan:cancel': () => this.scan.cancel(),
      'scan:state': () => this.scan.state(),
      'scan:html': () => this.scan.html(),
      'scan:removePersistence': async (id) => {
        const r = await this.scan.removePersistence(id);
        if (r.ok) void quarantineChanged(ctx);
        return r;
      },
      ...incidentHandlers(ctx),
      ...processHandlers(ctx),
      ...allowlistHandlers(ctx),
      ...settingsHandlers(ctx),
      ...quarantineHandlers(ctx),
      ...hostsBlockHandlers(ctx, this.opts.hostsBlock ?? {}),
    };
  }

  /** The narrow view of this service that the handler groups get (the monitor is read live). */
  private context(): ServiceContext {
    const self = this;
    return {
      get monitor() {
        return self.monitor;
      },
      dataDir: this.opts.dataDir,
      reviews: this.reviews,
      historic: this.historic,
      pausedProcs: this.pausedProcs,
      now: () => this.now(),
      view: (i, live) => this.view(i, live),
      liveViews: () => this.liveViews(),
      allViews: () => this.allViews(),
      emit: (channel, payload) => this.emit(channel, payload),
      emitStatus: () => this.emitStatus(),
      activity: (a) => {
        for (const l of this.activityListeners) {
          try {
            l(a);
          } catch {
            // a listener's bug must not stop the action's caller
          }
        }
      },
      restartMonitor: () => this.restartMonitor(),
      settings: () => this.settings,
      quarantine: this.quarantine,
      scanReport: () => this.scan.lastReport(),
    };
  }

  /**
   * Moves an older Idlewatch's backups beside edited files into the quarantine (each is removed
   * only once its bytes and record are saved); one that cannot be imported stays and is reported.
   */
  private async importLegacyBackups(): Promise<void> {
    const root = this.opts.legacyBackupRoot;
    if (root === undefined || root === null) return;
    try {
      const r = await importLegacyBackups(this.quarantine, await legacyBackupFolders(root), 'app');
      for (const s of r.skipped) this.problems.push({ file: s.split(': ')[0] ?? s, problem: s, movedTo: null });
      if (r.skipped.length > 0) this.emitStatus();
      if (r.imported.length > 0) await quarantineChanged(this.context());
    } catch (e) {
      this.problems.push({
        file: this.quarantine.folder,
        problem: `older backups could not be imported into the quarantine: ${errText(e)}`,
        movedTo: null,
      });
      this.emitStatus();
    }
  }

  // ---- monitor lifecycle -------------------------------------------------------------------------

  /** What the sampler lock does to this service: sample when it is ours, wait and show the holder's incidents when not. */
  private gateHooks(): GateHooks {
    return {
      taken: async () => {
        const wasWaiting = this.standby !== null;
        this.standby = null;
        if (!this.started) return;
        if (this.monitorRan) await this.restartMonitor();
        else await this.startMonitor();
        if (wasWaiting) this.emitStatus();
      },
      waiting: async (_holder, message) => {
        this.standby = message;
        if (this.unsubscribeMonitor) await this.stopMonitor();
        await this.readHolderIncidents();
        this.emitStatus();
      },
      poll: () => this.readHolderIncidents(),
    };
  }

  /** While another process samples: the incidents it appends to the history file, when the file changed. */
  private async readHolderIncidents(): Promise<void> {
    const { stat } = await import('node:fs/promises');
    const s = await stat(this.monitor.history.path).catch(() => null);
    const stamp = s ? `${s.size}:${s.mtimeMs}` : '';
    if (stamp === this.historyStamp) return;
    this.historyStamp = stamp;
    const read = await this.monitor.history.read().catch(() => null);
    if (!read) return;
    for (const r of read.records) {
      const key = incidentKey(r.incident);
      const before = this.historic.get(key);
      if (before && before.lastAt === r.incident.lastAt && before.severity === r.incident.severity) continue;
      this.historic.set(key, r.incident);
      this.emit('incident:changed', { incident: this.view(r.incident, false), change: 'updated' });
    }
  }

  private async startMonitor(): Promise<void> {
    this.monitorRan = true;
    this.unsubscribeMonitor = this.monitor.on((e) => this.onMonitor(e));
    this.monitor.setWindowVisible(this.windowVisible);
    try {
      await this.monitor.start();
      if (this.suspended || this.pausedUntil !== null) await this.monitor.suspendSampling();
      this.error = null;
    } catch (e) {
      this.error = `monitoring could not start: ${errText(e)}`;
    }
    this.emitStatus();
  }

  private async stopMonitor(): Promise<void> {
    this.unsubscribeMonitor?.();
    this.unsubscribeMonitor = null;
    await this.monitor.stop().catch(() => undefined);
    // Its incidents stay listed (the history file has them too), no longer live.
    for (const i of this.monitor.incidents()) this.historic.set(incidentKey(i), i);
  }

  /** New detection settings take effect in a fresh monitor; what the old one found stays listed. */
  private restartMonitor(): Promise<void> {
    const run = async (): Promise<void> => {
      await this.stopMonitor();
      try {
        this.monitor = await Monitor.open(this.opts);
      } catch (e) {
        this.error = `monitoring could not restart with the new settings: ${errText(e)}`;
        this.emitStatus();
        return;
      }
      if (this.started) await this.startMonitor();
    };
    this.restarting = this.restarting.then(run, run);
    return this.restarting;
  }

  private onMonitor(e: MonitorEvent): void {
    switch (e.type) {
      case 'sample':
        this.onSample(e.sample);
        break;
      case 'incident':
        this.emit('incident:changed', { incident: this.view(e.incident, true), change: e.change });
        this.emitStatus();
        break;
      case 'away-summary':
        this.away = e.summary;
        this.emit('away:summary', e.summary);
        break;
      case 'notify': {
        const n = e.notification;
        const ranks = n.items.map((i) => i.severity);
        if (!ranks.includes('medium') && !ranks.includes('high')) break;
        const first = n.items[0];
        const match = first
          ? this.monitor
              .incidents()
              .filter((i) => i.pid === first.pid && i.name === first.name)
              .sort((a, b) => b.lastAt - a.lastAt)[0]
          : undefined;
        const note: ServiceNotification = {
          title: n.title,
          body: n.body,
          severity: ranks.includes('high') ? 'high' : 'medium',
          incidentKey: match ? incidentKey(match) : null,
          count: n.items.length,
        };
        for (const l of this.notifyListeners) {
          try {
            l(note);
          } catch {
            // the shell's bug must not stop monitoring
          }
        }
        break;
      }
    }
  }

  private onSample(sample: EngineSample): void {
    if (this.pausedProcs.size > 0) {
      // A paused process that is gone (killed elsewhere, exited) is no longer paused.
      const alive = new Set(sample.procs.map((p) => processKey(p)));
      let changed = false;
      for (const k of this.pausedProcs.keys()) {
        if (!alive.has(k)) {
          this.pausedProcs.delete(k);
          changed = true;
        }
      }
      if (changed) this.emitStatus();
    }
    this.emitSample(sample);
    if (sample.at - this.lastRefreshAt >= INCIDENT_REFRESH_MS) {
      this.lastRefreshAt = sample.at;
      this.refreshIncidents();
    }
  }

  /** The tick's summary to the window, with the process stream's message while it subscribed. */
  private emitSample(sample: EngineSample): void {
    const procs = this.procStream ? this.procStream.encode(sample.procs) : null;
    this.emit('engine:sample', { sample: summarizeSample(sample), sources: this.monitor.sources(), procs });
  }

  /**
   * A (re)subscription starts the stream over with a keyframe, sent at once from the latest sample
   * so the table does not wait a tick; an unsubscription drops what the stream held.
   */
  private subscribeProcs(subscribe: boolean): boolean {
    if (!subscribe) {
      this.procStream = null;
      return false;
    }
    this.procStream ??= new ProcStreamEncoder();
    this.procStream.reset();
    const latest = this.monitor.latest;
    if (latest) this.emitSample(latest);
    return true;
  }

  /** The snapshot without process lists: the per-tick top lists of the history are not charted. */
  private windowSnapshot(): WindowSnapshot {
    const s = this.monitor.snapshot();
    return {
      ...s,
      latest: s.latest ? summarizeSample(s.latest) : null,
      history: s.history.map((h) => ({ ...h, top: [] })),
    };
  }

  /**
   * The detector announces raises and escalations; the running totals (GPU and CPU time while
   * away, last seen, running or not) move without an event, so they are sent every few seconds,
   * and only for incidents whose figures changed.
   */
  private refreshIncidents(): void {
    const seen = new Set<string>();
    for (const v of this.liveViews()) {
      seen.add(v.key);
      const sig = `${v.idleGpuSec.toFixed(1)}|${v.idleCpuSec.toFixed(1)}|${v.running}|${v.severity}`;
      if (this.sentFigures.get(v.key) === sig) continue;
      this.sentFigures.set(v.key, sig);
      this.emit('incident:changed', { incident: v, change: 'updated' });
    }
    for (const k of this.sentFigures.keys()) if (!seen.has(k)) this.sentFigures.delete(k);
  }

  // ---- handlers ----------------------------------------------------------------------------------

  private async setPaused(until: number | null): Promise<EngineStatus> {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    const now = this.now();
    if (until === null || until <= now) {
      const was = this.pausedUntil;
      this.pausedUntil = null;
      if (was !== null && !this.suspended && this.started) await this.monitor.resumeSampling();
    } else {
      this.pausedUntil = until;
      await this.monitor.suspendSampling();
      this.armPauseTimer();
    }
    this.emitStatus();
    return this.status();
  }

  private armPauseTimer(): void {
    if (this.pausedUntil === null) return;
    const left = this.pausedUntil - this.now();
    this.pauseTimer = setTimeout(
      () => {
        this.pauseTimer = null;
        if (this.pausedUntil !== null && this.pausedUntil - this.now() > 0) this.armPauseTimer();
        else void this.setPaused(null);
      },
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
    this.pauseTimer.unref?.();
  }

  // ---- views -------------------------------------------------------------------------------------

  private viewContext(): ViewContext {
    const procs = this.monitor.latest?.procs ?? [];
    return {
      reviewed: (k) => this.reviews.has(k),
      paused: (k) => this.pausedProcs.has(k),
      allowlisted: (i) =>
        i.exe !== null && this.monitor.allowlist.matchesSync({ exe: i.exe, cmdline: i.cmdline }) !== null,
      running: (i) => liveProcFor(i, procs) !== null,
    };
  }

  private view(i: Incident, live: boolean): IncidentView {
    return toView(i, live, this.viewContext());
  }

  private liveViews(): IncidentView[] {
    const ctx = this.viewContext();
    return this.monitor.incidents().map((i) => toView(i, true, ctx));
  }

  private allViews(): IncidentView[] {
    const ctx = this.viewContext();
    const live = this.monitor.incidents();
    const liveKeys = new Set(live.map(incidentKey));
    const out = live.map((i) => toView(i, true, ctx));
    for (const [k, i] of this.historic) if (!liveKeys.has(k)) out.push(toView(i, false, ctx));
    return out;
  }

  private emit<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    for (const l of this.eventListeners) {
      try {
        l(channel, payload);
      } catch {
        // a listener's bug must not stop monitoring
      }
    }
  }

  /** Sends the status when it changed (the tray and the banner follow it). */
  private emitStatus(): void {
    const s = this.status();
    const json = JSON.stringify(s);
    if (json === this.lastStatus) return;
    this.lastStatus = json;
    this.emit('engine:status', s);
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
