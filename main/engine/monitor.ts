import type { ActionResult, ActionTarget } from '../../shared/actions.js';
import type { AllowlistEntry, AllowlistEntryInput } from '../../shared/allowlist.js';
import type { AwaySummary, Incident } from '../../shared/detection.js';
import type { EngineSample, EngineSnapshot, HistoryPoint, SourceStatus } from '../../shared/engine-types.js';
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings.js';
import type { StoreProblem } from '../../shared/storage.js';
import type { Platform } from '../../shared/trace.js';
import { type ActionOptions, killProcess, pauseProcess, resumeProcess } from './actions/process-actions.js';
import { defaultInspector } from './actions/target-check.js';
import { Allowlist } from './allowlist/allowlist.js';
import { Detector, type DetectorEvent } from './detect/detector.js';
import type { Notification } from './detect/notify-policy.js';
import { ResolverWatch } from './dns/resolver-watch.js';
import { Engine, type EngineOptions } from './engine.js';
import { ensureDataDir } from './store/data-dir.js';
import { IncidentLog } from './store/incident-log.js';
import { loadSettings } from './store/settings-file.js';
import { TraceEncoder } from './trace/trace-encoder.js';

export interface MonitorOptions extends EngineOptions {
  /** Idlewatch's data folder (settings, allowlist, incident history). */
  dataDir: string;
  /** Overrides of the stored settings (CLI flags). */
  settings?: Partial<Settings>;
  /** Replaces the engine's own answer to whether a trusted fullscreen app has the screen (tests). */
  fullscreen?: () => boolean;
  /**
   * The app's main process when the engine runs under it (the Electron main process that forked
   * the engine utility process). Its processes running the app's program (window, GPU, utility)
   * are then refused by kill and pause like the engine itself.
   */
  appRootPid?: number;
  /**
   * The resolver cache as pool evidence (dns/resolver-watch.ts): default on; false turns it off,
   * a watch replaces the default one (tests give it a fake tool).
   */
  resolverWatch?: ResolverWatch | false;
}

/** What the monitor tells its listeners, in wall-clock terms (epoch ms). */
export type MonitorEvent =
  | { type: 'sample'; sample: EngineSample }
  | { type: 'incident'; incident: Incident; change: 'raised' | 'escalated' | 'updated' }
  | { type: 'away-summary'; summary: AwaySummary }
  | { type: 'notify'; notification: Notification };

type Listener = (event: MonitorEvent) => void;

/**
 * The live monitor: the engine's samples go through the same trace encoding and the same
 * Detector that `idlewatch replay` uses, so live and replayed detection cannot differ. Incidents
 * are kept in the history file; kill/pause/resume act only on processes the engine reported.
 *
 * Times: the detector works in trace time (ms since the monitor started); everything this class
 * hands out (events, incidents, history records) is converted to epoch ms.
 */
export class Monitor {
  readonly engine: Engine;
  readonly settings: Settings;
  readonly allowlist: Allowlist;
  readonly history: IncidentLog;
  /** Problems found in the data files at start-up (corrupt files moved aside). */
  readonly problems: StoreProblem[];
  private readonly listeners = new Set<Listener>();
  private detector: Detector | null = null;
  private encoder: TraceEncoder | null = null;
  private startedAtMs = 0;
  private unsubscribe: (() => void) | null = null;
  private warmTimer: NodeJS.Timeout | null = null;
  private suspended = false;
  /** Whether Idlewatch's window is shown; the detector hears of every change. */
  private windowVisible = false;
  /** The resolver cache as pool evidence; null when turned off. */
  readonly resolver: ResolverWatch | null;

  private constructor(
    engine: Engine,
    settings: Settings,
    allowlist: Allowlist,
    history: IncidentLog,
    problems: StoreProblem[],
    private readonly opts: MonitorOptions,
  ) {
    this.engine = engine;
    this.settings = settings;
    this.allowlist = allowlist;
    this.history = history;
    this.problems = problems;
    this.resolver =
      opts.resolverWatch === false
        ? null
        : (opts.resolverWatch ?? new ResolverWatch({ platform: engine.platform, dataDir: opts.dataDir }));
  }

  static async open(opts: MonitorOptions): Promise<Monitor> {
    // Created if missing, and what an older version or a umask left readable to others made private.
    // A folder that cannot be created is reported by the first store that writes there, as before.
    await ensureDataDir(opts.dataDir).catch(() => undefined);
    const loaded = await loadSettings(opts.dataDir);
    const settings: Settings = { ...DEFAULT_SETTINGS, ...loaded.value, ...opts.settings };
    const allowlist = await Allowlist.load(opts.dataDir);
    const engine = new Engine({
      ...opts,
      intervalMs: opts.intervalMs ?? settings.samplingIntervalMs,
      idleThresholdSec: opts.idleThresholdSec ?? settings.idleThresholdSec,
    });
    const history = new IncidentLog(opts.dataDir);
    return new Monitor(engine, settings, allowlist, history, [...loaded.problems, ...allowlist.problems], opts);
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    await this.warmAllowlistHashes();
    // Hash pins are checked from a cache; keep it warm for pinned files that change on disk.
    this.warmTimer = setInterval(() => void this.warmAllowlistHashes(), 60_000);
    this.warmTimer.unref();
    await this.engine.sampler.init();
    this.unsubscribe = this.engine.sampler.onSample((s) => this.onSample(s));
    await this.engine.start();
  }

  async stop(): Promise<void> {
    this.suspended = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.warmTimer) clearInterval(this.warmTimer);
    this.warmTimer = null;
    await this.engine.stop();
    // The final state of every incident goes to the history.
    for (const inc of this.incidents()) await this.record(inc).catch(() => undefined);
  }

  /**
   * Stops sampling while the machine sleeps or the user paused monitoring. Nothing is known about
   * the time in between, so the detector is told that the next sample follows a gap: no run, and so
   * no incident's evidence, spans it.
   */
  async suspendSampling(): Promise<void> {
    if (!this.unsubscribe || this.suspended) return;
    this.suspended = true;
    this.detector?.markGap();
    await this.engine.stop();
  }

  async resumeSampling(): Promise<void> {
    if (!this.unsubscribe || !this.suspended) return;
    this.suspended = false;
    this.detector?.markGap();
    await this.engine.start();
  }

  /**
   * The window was shown or hidden. A miner that watches for it hides while it is open: the
   * detector's hides-when-watched rule. Only a change is passed on (the renderer may repeat itself).
   */
  setWindowVisible(visible: boolean): void {
    if (visible === this.windowVisible) return;
    this.windowVisible = visible;
    this.detector?.markWatched(visible);
  }

  get isSuspended(): boolean {
    return this.suspended;
  }

  /** The latest sample, or null before the first tick. */
  get latest(): EngineSample | null {
    return this.engine.sampler.latest;
  }

  /** The in-memory history (the busiest processes of each tick), oldest first. */
  recent(): HistoryPoint[] {
    return this.engine.sampler.history.toArray();
  }

  get intervalMs(): number {
    return this.engine.sampler.intervalMs;
  }

  get platform(): Platform {
    return this.engine.platform;
  }

  snapshot(): EngineSnapshot {
    return this.engine.snapshot();
  }

  sources(): SourceStatus[] {
    return this.engine.sources();
  }

  /** All incidents of this run, epoch times. */
  incidents(): Incident[] {
    return this.detector ? this.detector.incidents().map((i) => this.toEpoch(i)) : [];
  }

  kill(target: ActionTarget): Promise<ActionResult> {
    const refused = this.checkReported(target, 'kill');
    return refused ? Promise.resolve(refused) : this.actionOptions().then((o) => killProcess(target, o));
  }

  pause(target: ActionTarget): Promise<ActionResult> {
    const refused = this.checkReported(target, 'pause');
    return refused ? Promise.resolve(refused) : this.actionOptions().then((o) => pauseProcess(target, o));
  }

  resume(target: ActionTarget): Promise<ActionResult> {
    const refused = this.checkReported(target, 'resume');
    return refused ? Promise.resolve(refused) : this.actionOptions().then((o) => resumeProcess(target, o));
  }

  private appRoot: Promise<ActionTarget | null> | null = null;

  /** The app's main process as pid + start time, read once (the first action), then compared on every action. */
  private actionOptions(): Promise<ActionOptions> {
    const pid = this.opts.appRootPid;
    if (pid === undefined || pid <= 1) return Promise.resolve({});
    this.appRoot ??= defaultInspector()
      .inspect(pid)
      .then((p) => (p ? { pid, startTimeMs: p.startTimeMs } : null))
      .catch(() => null);
    return this.appRoot.then((appRoot) => ({ appRoot }));
  }

  async allow(input: AllowlistEntryInput): Promise<AllowlistEntry> {
    const entry = await this.allowlist.add(input);
    await this.warmAllowlistHashes();
    return entry;
  }

  /** Only processes the engine reported may be acted on: a pid from anywhere else is refused. */
  private checkReported(target: ActionTarget, action: 'kill' | 'pause' | 'resume'): ActionResult | null {
    if (!Number.isSafeInteger(target.pid) || target.pid <= 0 || !Number.isFinite(target.startTimeMs)) {
      return {
        ok: false,
        action,
        pid: target.pid,
        code: 'failed',
        reason: `not a valid process: pid ${String(target.pid)}`,
      };
    }
    const seen = this.engine.sampler.latest?.procs.some(
      (p) => p.pid === target.pid && p.startTimeMs === target.startTimeMs,
    );
    if (seen) return null;
    return {
      ok: false,
      action,
      pid: target.pid,
      code: 'gone',
      reason: `process ${target.pid} is not among the processes Idlewatch sees now (it may have exited): nothing was done`,
    };
  }

  private onSample(s: EngineSample): void {
    if (!this.detector || !this.encoder) {
      this.startedAtMs = s.at;
      this.encoder = new TraceEncoder({
        startedAtMs: s.at,
        intervalMs: this.engine.sampler.intervalMs,
        idleThresholdSec: this.engine.idleThresholdSec,
        platform: this.engine.platform,
        cpuCores: s.system.cores,
      });
      this.detector = new Detector(this.encoder.header(s), {
        sensitivity: this.settings.sensitivity,
        notifications: this.settings.notifications,
        quietWhileFullscreen: this.settings.quietWhileFullscreen,
        notifyHighWhileFullscreen: this.settings.notifyHighWhileFullscreen,
        fullscreen: this.opts.fullscreen ?? (() => this.engine.quietForFullscreen()),
        ...(this.resolver ? { resolvedMiningName: (address: string) => this.resolver?.lookup(address) ?? null } : {}),
        allowlisted: (p) => this.allowlist.matchesSync({ exe: p.exe, cmdline: p.cmdline }) !== null,
      });
      // Shown before the first sample: the window was already open, not opened now.
      if (this.windowVisible) this.detector.markWatched(true);
    }
    this.emit({ type: 'sample', sample: s });
    let events: DetectorEvent[];
    try {
      events = this.detector.push(this.encoder.sample(s));
    } catch {
      return; // a detector bug must not stop monitoring; the next sample goes on
    }
    for (const e of events) this.handle(e);
  }

  private handle(e: DetectorEvent): void {
    switch (e.type) {
      case 'incident-raised':
      case 'incident-escalated': {
        const incident = this.toEpoch(e.incident);
        void this.record(incident).catch(() => undefined);
        this.emit({ type: 'incident', incident, change: e.type === 'incident-raised' ? 'raised' : 'escalated' });
        break;
      }
      case 'incident-updated':
        this.emit({ type: 'incident', incident: this.toEpoch(e.incident), change: 'updated' });
        break;
      case 'away-summary':
        this.emit({
          type: 'away-summary',
          summary: {
            ...e.summary,
            from: e.summary.from + this.startedAtMs,
            to: e.summary.to + this.startedAtMs,
            processes: e.summary.processes.map((p) => ({ ...p, startT: p.startT + this.startedAtMs })),
          },
        });
        break;
      case 'notify':
        this.emit({ type: 'notify', notification: { ...e.notification, t: e.notification.t + this.startedAtMs } });
        break;
    }
  }

  private emit(event: MonitorEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's bug must not stop monitoring
      }
    }
  }

  private record(incident: Incident): Promise<void> {
    return this.history.append(incident);
  }

  private toEpoch(i: Incident): Incident {
    const base = this.startedAtMs;
    const out: Incident = { ...i, startT: i.startT + base, firstAt: i.firstAt + base, lastAt: i.lastAt + base };
    if (i.was) out.was = i.was.map((w) => ({ ...w, until: w.until + base }));
    return out;
  }

  private async warmAllowlistHashes(): Promise<void> {
    await Promise.all(
      this.allowlist
        .list()
        .filter((e) => e.sha256 !== null)
        .map((e) => this.allowlist.hashCache.hashOf(e.exe).catch(() => null)),
    );
  }
}
