/**
 * The detection engine: a pure function of the sample stream (plus settings and allowlist).
 *
 * The clock is only the samples' `t`. The detector keeps its own identity table from first
 * appearances (pid + start time; a pid missing from a sample has exited and is finalized), a few
 * numbers per live process (rolling levels, never series), and turns what it sees into evidence
 * per named rule (see scoring.ts for the weights). The live app and `idlewatch replay` feed it the
 * same TraceSamples, so both see the same incidents.
 */
import type { AwaySummary, Incident, PriorIdentity, Reason, RuleId, Severity } from '../../../shared/detection.js';
import type { Sensitivity } from '../../../shared/settings.js';
import type { Platform, TraceConn, TraceHeader, TraceProc, TraceSample } from '../../../shared/trace.js';
import { carriedIdentityEvidence, execedIdentity, IDENTITY_RULES, priorIdentity, pushPrior } from './exec-identity.js';
import { steamShaderWork } from './benign-origin.js';
import { hostileIdentity, type IdentityFindings, identityFindings, type TraceIdentity } from './identity.js';
import { type Ancestor, ancestorOf, peerHost, walkLineage } from './lineage.js';
import { allowlistedBut } from './allowlist-override.js';
import { type Notification, type NotifyCandidate, NotifyPolicy } from './notify-policy.js';
import { baseName } from './provenance.js';
import { provenanceEvidence } from './provenance-evidence.js';
import { assess, type Evidence, severityRank, WEIGHTS } from './scoring.js';
import { LoadChannel } from './signals/load.js';
import { inhibitorFor, type MediaCandidate, mediaShaped, stepMediaShape } from './signals/media.js';
import { classifyOnset, ONSET_GAP_MS, type OnsetClass, onsetDetail } from './signals/onset.js';
import { keepsPeer, type RemoteOrigin, remoteDetail, remoteOrigin, scheduledStart } from './signals/origin.js';
import { miningNameConnection, poolConnection } from './signals/pool.js';
import { programKey, RECUR_POINTS, RecurrenceBook, recurringDetail } from './signals/recurring.js';
import {
  STOP_CONFIRM_MS,
  STOP_FALL_MS,
  STOP_MIN_RUN_MS,
  type StopWatch,
  stepWatch,
  stopDetail,
} from './signals/stop-watch.js';
import { kindName, load, seconds } from './signals/text.js';
import { armHide, type HideCheck, hideDetail, stepHide, watchToolLabel } from './signals/watched.js';
import {
  BURST_GAP_MAX_MS,
  type BurstSeries,
  burstDetail,
  burstLoadDetail,
  newSeries,
  noteBurst,
  regularBursts,
} from './signals/bursts.js';

/** What the allowlist sees of a process. */
export interface AllowlistProbe {
  pid: number;
  exe: string | null;
  cmdline: string;
  name: string;
  user: string | null;
}

export interface DetectorOptions {
  /** `high` flags weaker evidence, `low` needs more (scoring.ts THRESHOLDS). Default normal. */
  sensitivity?: Sensitivity;
  /** True for processes the user trusts: they are still recorded (severity capped at low) but never alerted. */
  allowlisted?: (p: AllowlistProbe) => boolean;
  /** Overrides the header's host.platform (path rules follow it). */
  platform?: Platform;
  /** Notifications at all (settings: notifications). Default true. */
  notifications?: boolean;
  /** The same process is not notified again within this many seconds. Default 1800. */
  cooldownSec?: number;
  /** Processes tripping within this many seconds of each other share one message. Default 3. */
  groupWindowSec?: number;
  /** At least this many seconds between two messages; later trips are grouped. Default 60. */
  minGapSec?: number;
  /** Hold notifications while `fullscreen()` says a fullscreen app runs. Default true. */
  quietWhileFullscreen?: boolean;
  /** While holding for a fullscreen app, high-severity notifications still go out. Default false. */
  notifyHighWhileFullscreen?: boolean;
  /**
   * Whether a fullscreen app (a game) has the screen now. The trace format does not record this,
   * so the live app passes a hook; replays leave it out (never fullscreen).
   */
  fullscreen?: () => boolean;
  /**
   * The mining domain the resolver cache maps a remote address to, or null. The trace format
   * carries no DNS data, so the live monitor passes its resolver watch (dns/resolver-watch.ts) and
   * a replay may pass a map; without it only pool ports count as pool connections.
   */
  resolvedMiningName?: (address: string) => { name: string; domain: string } | null;
}

/** See Detector.stats(). */
export interface DetectorStats {
  samples: number;
  tracks: number;
  incidents: number;
  programs: number;
  awayBusy: number;
  episodeTouched: number;
  episodeExited: number;
  watches: number;
  dirty: number;
}

export type DetectorEvent =
  | { type: 'incident-raised'; t: number; incident: Incident }
  | { type: 'incident-escalated'; t: number; incident: Incident; from: Severity }
  | { type: 'incident-updated'; t: number; incident: Incident }
  | { type: 'away-summary'; t: number; summary: AwaySummary }
  | { type: 'notify'; t: number; notification: Notification };

/** Load while away must last this long before it counts (a blip is not a pattern). */
export const SUSTAIN_MS = 20_000;
/** A stretch this long earns the "long" weight (for loads that began after you left). */
export const LONG_MS = 5 * 60_000;
/** Shorter absences get no summary and no stop-on-return check (short idle blips). */
export const MIN_AWAY_MS = 30_000;
/** A claimed backup or server that hides on return after running this long loses its benign reading. */
export const BENIGN_VOID_RUN_MS = 60_000;
/** A gap between samples longer than this (a suspend) breaks every run instead of being bridged. */
export const MAX_STEP_MS = 120_000;
/** Below this CPU share (one core = 100) a busy GPU is "working on its own". */
export const GPU_ONLY_CPU_MAX = 5;
/** A run must last this long before its flatness is judged. */
export const STEADY_MIN_RUN_MS = 30_000;
/** Summaries list processes busy at least this long, or with this much GPU / CPU time. */
const SUMMARY_MIN_BUSY_MS = 10_000;
const SUMMARY_MIN_GPU_SEC = 5;
const SUMMARY_MIN_CPU_SEC = 10;
const SUMMARY_MAX = 50;
/** An absence with nothing to report gets a summary only when it lasted this long. */
const QUIET_SUMMARY_MIN_MS = 5 * 60_000;

/** Durations at which idle-load and steady evidence is re-worded (and the weight may grow). */
const BUCKETS_MS = [SUSTAIN_MS, 60_000, LONG_MS, 15 * 60_000, 3_600_000, 3 * 3_600_000, 8 * 3_600_000];

function bucketOf(ms: number): number {
  let b = -1;
  for (let i = 0; i < BUCKETS_MS.length; i++) if (ms >= BUCKETS_MS[i]!) b = i;
  return b;
}

/** Benign kinds that legitimately stop when you return; the others lose their benign reading if they do. */
const STOPS_BY_DESIGN = new Set(['screensaver', 'os-maintenance', 'volunteer', 'shader-cache']);

type UserPhase = 'away' | 'active' | 'unknown';

interface Episode {
  id: number;
  startT: number;
  /** When the user left: the last input before the absence (or the lock, if earlier). */
  leftAt: number;
  lockStartT: number | null;
  lastAwayT: number;
  /** First input seen while still locked (typing the password). */
  returnInputT: number | null;
  locked: boolean;
  idleSec: number | null;
  /** Stop-on-return checks were started for the current return. */
  watched: boolean;
}

interface ChannelEpisode {
  id: number;
  cls: OnsetClass;
  bucket: number;
}

interface Track {
  key: string;
  /** parent pid + executable: processes of one program started by one parent (a build's compilers). */
  program: string;
  id: TraceIdentity;
  /** Identities before the current one (exec), oldest first, bounded. */
  was: PriorIdentity[];
  /**
   * Which identity did the latest work: an index into `was`, or `was.length` for the current one;
   * null before any load. The incident names that one.
   */
  workedAs: number | null;
  findings: IdentityFindings;
  hostile: boolean;
  allowlisted: boolean;
  browserRole: string | null;
  gpu: LoadChannel;
  cpu: LoadChannel;
  gpuEp: ChannelEpisode;
  cpuEp: ChannelEpisode;
  steadyBucket: number;
  stamp: number;
  lastT: number;
  /** Its entry's index in the last sample that looked at it (see Detector.quiet). */
  idx: number;
  evidence: Map<RuleId, Evidence>;
  incident: Incident | null;
  firstRaisedAt: number | null;
  firstMediumAt: number | null;
  idleGpuSec: number;
  idleCpuSec: number;
  /** Per-episode accounting for the away summary (lazily reset by episode id). */
  ep: number;
  epBusyMs: number;
  epGpuSec: number;
  epCpuSec: number;
  /** Had a busy run of SUSTAIN_MS in any state (location evidence weighs more then). */
  sustained: boolean;
  benignCap: boolean;
  benignVoided: boolean;
  media: string | null;
  inhibitorKey: string | null;
  /** Load left the media shape at this t (null while inside); the excuse, once forfeited, is gone. */
  mediaOverSince: number | null;
  mediaRefused: boolean;
  /** Ancestors at the first appearance, nearest first (lineage.ts), and what they say. */
  lineage: Ancestor[];
  remote: RemoteOrigin | null;
  scheduled: boolean;
  /** The client address of an SSH server process (its established connection). */
  peer: string | null;
  /** Its connections as last listed (a trace repeats them only when they change). */
  conns: TraceConn[] | null;
  /** The recurrence book's key for scheduler-started processes, and how long after its last run it was launched. */
  recurKey: string | null;
  relaunchGap: number | null;
  dirty: boolean;
  trippedEpisode: number;
  offeredEpisode: number;
  gone: boolean;
}

interface Watch extends StopWatch {
  track: Track;
}

interface Hide extends HideCheck {
  track: Track;
  /** What it hides from: a tool's pid and start time, or null for Idlewatch's window. */
  from: { pid: number; startT: number } | null;
}

interface BurstTrack {
  series: BurstSeries;
  /** Load summed over the current run while away (value x ms), and its length. */
  sum: number;
  ms: number;
  /** End of the last run that ended while the user was present. */
  presentEnd: number;
  /** Episode in which the evidence was given. */
  episode: number;
}

interface PendingSummary {
  due: number;
  from: number;
  to: number;
  rows: (Omit<AwaySummary['processes'][number], 'severity'> & { key: string })[];
}

export class Detector {
  readonly platform: Platform;
  private readonly header: TraceHeader;
  private readonly sensitivity: Sensitivity;
  private gapMarked = false;
  private readonly allowlist: ((p: AllowlistProbe) => boolean) | null;
  private readonly fullscreen: () => boolean;
  private readonly resolvedMiningName: DetectorOptions['resolvedMiningName'] | null;
  private readonly policy: NotifyPolicy;
  private readonly maxCpu: number;
  private readonly tracks = new Map<number, Track>();
  private readonly incidentByKey = new Map<string, Incident>();
  private readonly dirty = new Set<Track>();
  private stamp = 0;
  private prevT: number | null = null;
  private lastActiveT: number | null = null;
  /** The user gave input within ONSET_GAP_MS: they are at the machine, not just not-yet-idle. */
  private present = false;
  /**
   * parent pid + program -> last t a process of that program under that parent was busy while the
   * user was present. A build's next compiler process, started after the user left, continues
   * work the user started; a miner's new life follows a pause, not work seen while present.
   */
  private readonly programBusy = new Map<string, number>();
  private episode: Episode | null = null;
  private episodeCounter = 0;
  /** Tracks whose idle-load rule fired in the current episode (watched at the return). */
  private readonly awayBusy = new Set<Track>();
  /** Tracks with load in the current episode (for the summary). */
  private readonly epTouched = new Set<Track>();
  /** Exited during the episode but worth a summary line. */
  private epExited: PendingSummary['rows'] = [];
  private watches: Watch[] = [];
  private pendingSummary: PendingSummary | null = null;
  private samples = 0;
  /** Processes first seen in this sample: their ancestry is read once the whole sample is known. */
  private born: Track[] = [];
  private readonly recurring = new RecurrenceBook();
  /** Process-monitor tools running now (pid -> start time and label): the hides-when-watched rule. */
  private readonly watchers = new Map<number, { startT: number; label: string }>();
  private windowOpen = false;
  private windowChange: boolean | null = null;
  private hides: Hide[] = [];
  /** Per process: how many watches it hid from, and the start of the last one counted. */
  private readonly hidCount = new Map<Track, { n: number; lastStart: number }>();
  /** Per process and load: its short bursts while away (signals/bursts.ts). */
  private readonly bursts = new Map<Track, Record<'gpu' | 'cpu', BurstTrack>>();
  /**
   * The last sample's entries and, per index, whether its entry was just `{"pid":N}` and left its
   * process at rest (no load on either channel, no incident). When the next sample lists the same
   * processes at the same places and hands the very same entry object there (the live encoder
   * keeps an idle process's entry from tick to tick), looking at it again would change nothing:
   * it is skipped, and the tick costs what the busy processes cost, not what all of them do.
   */
  private lastProcs: TraceSample['procs'] | null = null;
  private quiet = new Uint8Array(0);
  /** This sample skipped quiet entries (their tracks' lastT is brought up to date when rescored). */
  private skipping = false;

  constructor(header: TraceHeader, options: DetectorOptions = {}) {
    this.header = header;
    const platform = options.platform ?? header.host.platform;
    // A platform this version does not know gets the POSIX (Linux) path rules rather than none.
    this.platform = platform === 'win32' || platform === 'darwin' ? platform : 'linux';
    this.sensitivity = options.sensitivity ?? 'normal';
    this.allowlist = options.allowlisted ?? null;
    this.fullscreen = options.fullscreen ?? (() => false);
    this.resolvedMiningName = options.resolvedMiningName ?? null;
    this.maxCpu = 100 * Math.max(1, header.host.cpuCores || 1);
    this.policy = new NotifyPolicy({
      enabled: options.notifications ?? true,
      ...(options.cooldownSec !== undefined ? { cooldownSec: options.cooldownSec } : {}),
      ...(options.groupWindowSec !== undefined ? { groupWindowSec: options.groupWindowSec } : {}),
      ...(options.minGapSec !== undefined ? { minGapSec: options.minGapSec } : {}),
      ...(options.quietWhileFullscreen !== undefined ? { quietWhileFullscreen: options.quietWhileFullscreen } : {}),
      ...(options.notifyHighWhileFullscreen !== undefined
        ? { notifyHighWhileFullscreen: options.notifyHighWhileFullscreen }
        : {}),
    });
  }

  /** Samples pushed so far. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Live processes in the working set (exited ones are finalized and dropped). */
  get liveProcesses(): number {
    return this.tracks.size;
  }

  /**
   * Sizes of the detector's working state, for memory checks: everything per process shrinks as
   * processes exit; only `incidents` (one per flagged process) grows.
   */
  stats(): DetectorStats {
    return {
      samples: this.samples,
      tracks: this.tracks.size,
      incidents: this.incidentByKey.size,
      programs: this.programBusy.size,
      awayBusy: this.awayBusy.size,
      episodeTouched: this.epTouched.size,
      episodeExited: this.epExited.length,
      watches: this.watches.length,
      dirty: this.dirty.size,
    };
  }

  /** Feeds one sample (in time order); returns what changed. */
  push(sample: TraceSample): DetectorEvent[] {
    const events: DetectorEvent[] = [];
    const t = sample.t;
    const prevT = this.prevT;
    let dt = prevT === null ? this.header.intervalMs : t - prevT;
    if (!(dt >= 0)) dt = 0;
    let gap = false;
    if (prevT !== null && (dt > MAX_STEP_MS || this.gapMarked)) {
      // A suspend or a stalled recorder: nothing is known about the gap, so no run bridges it.
      gap = true;
      this.gapMarked = false;
      for (const tr of this.tracks.values()) {
        tr.gpu.interrupt(prevT);
        tr.cpu.interrupt(prevT);
      }
      dt = this.header.intervalMs;
    }
    this.samples++;
    const phase = this.updateUser(sample, t, dt, events);
    const away = phase === 'away';
    const all = sample.procs;
    const work = this.entriesToLookAt(all, prevT === null || gap);
    this.skipping = work !== null;
    const list = work === null ? all : work.map((i) => all[i]!);
    this.noteWatchers(list, sample.t, prevT === null);
    const stamp = ++this.stamp;
    if (work === null && this.quiet.length !== all.length) this.quiet = new Uint8Array(all.length);

    for (let k = 0; k < list.length; k++) {
      const p = list[k]!;
      const idx = work === null ? k : work[k]!;
      // pid 0 is the scheduler's idle loop (Windows' "System Idle Process", macOS kernel_task):
      // its "CPU use" is the machine doing nothing.
      if (p.pid === 0) continue;
      let tr = this.tracks.get(p.pid);
      if (tr && p.startT !== undefined && p.startT !== tr.id.startT) {
        // The pid was reused by a new process.
        this.exit(tr, prevT ?? t, events);
        tr = undefined;
      }
      if (tr?.stamp === stamp) continue;
      if (!tr) tr = this.create(p, t);
      else if (p.name !== undefined || p.exe !== undefined || p.cmdline !== undefined) {
        const next = execedIdentity(tr.id, p);
        if (next) this.reidentify(tr, next, t);
      }
      tr.stamp = stamp;
      tr.lastT = t;
      if (tr.incident) tr.incident.lastAt = t;
      const gpuRaw = clampNum(p.gpu, 100);
      const cpuRaw = clampNum(p.cpu, this.maxCpu);
      const gpuBusy = tr.gpu.update(gpuRaw, t, dt, away);
      const cpuBusy = tr.cpu.update(cpuRaw, t, dt, away);
      // Work is load this sample, not a busy run still winding down after an exec into `sleep`.
      if (((gpuBusy && gpuRaw > 0) || (cpuBusy && cpuRaw > 0)) && tr.workedAs !== tr.was.length) {
        tr.workedAs = tr.was.length;
        this.markDirty(tr); // the incident is renamed after the program now doing the work
      }
      if (away && (gpuRaw > 0 || cpuRaw > 0 || gpuBusy || cpuBusy))
        this.account(tr, gpuRaw, cpuRaw, dt, gpuBusy || cpuBusy);
      if (p.conns) {
        tr.conns = p.conns;
        this.checkConns(tr, p.conns);
      } else if (tr.conns && (gpuBusy || cpuBusy) && !tr.evidence.has('pool-connection')) {
        // Connections listed before it got busy: the resolver cache is asked about them once it is.
        this.checkResolved(tr, tr.conns);
      }
      if (gpuBusy) this.checkLoad(tr, tr.gpu, tr.gpuEp, phase, sample);
      if (cpuBusy) this.checkLoad(tr, tr.cpu, tr.cpuEp, phase, sample);
      if ((!this.present && (gpuBusy || cpuBusy)) || tr.gpu.lastRunEnd === t || tr.cpu.lastRunEnd === t)
        this.burstStep(tr, t, dt, gpuRaw, cpuRaw);
      tr.idx = idx;
      this.quiet[idx] =
        bareEntry(p) && !tr.incident && !tr.gpu.busy && tr.gpu.level === 0 && !tr.cpu.busy && tr.cpu.level === 0
          ? 1
          : 0;
    }
    this.lastProcs = all;

    for (const tr of this.born) this.resolveLineage(tr, t);
    this.born = [];
    // The same processes as last time: nobody left.
    if (work === null) {
      for (const tr of this.tracks.values()) {
        if (tr.stamp !== stamp) this.exit(tr, prevT ?? t, events);
      }
    }
    if (away && this.awayBusy.size > 0) this.checkInhibitors(sample);
    this.processWatches(t);
    this.processHides(t);
    this.rescoreDirty(t, events);
    if (this.pendingSummary && t >= this.pendingSummary.due) this.emitSummary(t, events);
    for (const n of this.policy.tick(t, this.fullscreen())) events.push({ type: 'notify', t, notification: n });
    this.prevT = t;
    return events;
  }

  /**
   * The live monitor knows of gaps the clock cannot show (a short suspend, monitoring paused by the
   * user): the next sample starts every run afresh, as a gap longer than MAX_STEP_MS would.
   */
  markGap(): void {
    this.gapMarked = true;
  }

  /**
   * Idlewatch's own window was shown (true) or hidden (false). The trace format has no field for
   * it, so only the live monitor knows; the change applies from the next sample.
   */
  markWatched(open: boolean): void {
    this.windowChange = open;
  }

  /** Ends the stream: resolves checks still waiting for samples, sends held notifications. */
  finish(): DetectorEvent[] {
    const events: DetectorEvent[] = [];
    const t = this.prevT ?? 0;
    if (this.episode) for (const tr of this.awayBusy) this.finalIdleDetails(tr, this.episode);
    for (const w of this.watches) if (w.fellAt !== null) this.stopEvidence(w, w.fellAt, false);
    this.watches = [];
    this.rescoreDirty(t, events);
    if (this.pendingSummary) this.emitSummary(t, events);
    for (const n of this.policy.flush(t)) events.push({ type: 'notify', t, notification: n });
    return events;
  }

  /** Every incident so far, in firstAt order. */
  incidents(): Incident[] {
    for (const tr of this.tracks.values()) if (tr.incident) syncCounters(tr);
    return [...this.incidentByKey.values()]
      .map(copy)
      .sort((a, b) => a.firstAt - b.firstAt || a.pid - b.pid || a.startT - b.startT);
  }

  // -------------------------------------------------------------------------------------------
  // The user: away episodes, the moment they leave and the moment they return.

  private updateUser(s: TraceSample, t: number, dt: number, events: DetectorEvent[]): UserPhase {
    const state = s.user.state;
    const idleSec = typeof s.user.idleSec === 'number' && Number.isFinite(s.user.idleSec) ? s.user.idleSec : null;
    const awayNow = state === 'idle' || state === 'locked';
    this.present = state === 'active' && (idleSec === null || idleSec * 1000 < ONSET_GAP_MS);
    let ep = this.episode;
    if (awayNow) {
      if (!ep) {
        if (this.pendingSummary) this.emitSummary(t, events);
        const lastInput = idleSec !== null ? t - idleSec * 1000 : (this.lastActiveT ?? t);
        ep = {
          id: ++this.episodeCounter,
          startT: t,
          leftAt: state === 'locked' ? Math.min(lastInput, t) : lastInput,
          lockStartT: state === 'locked' ? t : null,
          lastAwayT: t,
          returnInputT: null,
          locked: state === 'locked',
          idleSec,
          watched: false,
        };
        this.episode = ep;
        this.awayBusy.clear();
        this.epTouched.clear();
        this.epExited = [];
        for (const [k, at] of this.programBusy) if (at < t - 10 * 60_000) this.programBusy.delete(k);
      } else {
        // Input while still locked (typing the password) is where the return begins; a bump
        // that is not followed by an unlock within a minute was not a return.
        if (
          state === 'locked' &&
          idleSec !== null &&
          ep.idleSec !== null &&
          idleSec * 1000 + 1500 < ep.idleSec * 1000 + dt
        ) {
          if (ep.returnInputT === null) {
            ep.returnInputT = Math.max(ep.startT, t - idleSec * 1000);
            if (ep.returnInputT - ep.startT >= MIN_AWAY_MS) this.startWatches(ep, ep.returnInputT);
          }
        }
        if (ep.returnInputT !== null && t - ep.returnInputT > 60_000) {
          ep.returnInputT = null;
          ep.watched = false;
        }
        if (state === 'locked' && ep.lockStartT === null) ep.lockStartT = t;
        ep.lastAwayT = t;
        ep.locked = state === 'locked';
        ep.idleSec = idleSec;
      }
      return 'away';
    }
    if (ep) {
      this.episode = null;
      for (const tr of this.awayBusy) this.finalIdleDetails(tr, ep);
      if (state === 'active') {
        let inputT = ep.returnInputT ?? (idleSec !== null ? t - idleSec * 1000 : ep.lastAwayT);
        inputT = Math.min(t, Math.max(inputT, ep.startT));
        if (inputT - ep.startT >= MIN_AWAY_MS || ep.startT - ep.leftAt >= MIN_AWAY_MS) {
          this.startWatches(ep, inputT);
          this.onReturn(ep, inputT);
        }
      }
      this.awayBusy.clear();
    }
    if (state === 'active') {
      this.lastActiveT = t;
      return 'active';
    }
    return 'unknown';
  }

  /**
   * Stop-on-return checks for every load still going at the first input (called before this
   * sample's readings are applied, so `raw` is the last reading before the input).
   */
  private startWatches(ep: Episode, inputT: number): void {
    if (ep.watched) return;
    ep.watched = true;
    for (const tr of this.awayBusy) {
      for (const kind of ['gpu', 'cpu'] as const) {
        const ch = tr[kind];
        const es = kind === 'gpu' ? tr.gpuEp : tr.cpuEp;
        const level = ch.awayRunMean;
        // Only a long load at its full level when the user came back can stop on it: a burst, or
        // one already fading out before the input, is work ending by chance.
        if (
          es.id !== ep.id ||
          !ch.busy ||
          ch.awayRunMs < STOP_MIN_RUN_MS ||
          level < ch.thr.on ||
          ch.raw < Math.max(ch.thr.on, 0.5 * level)
        )
          continue;
        this.watches.push({ track: tr, kind, pre: level, inputT, fellAt: null, fellTo: 0, runMs: ch.awayRunMs });
      }
    }
  }

  private onReturn(ep: Episode, inputT: number): void {
    const rows: PendingSummary['rows'] = [...this.epExited];
    for (const tr of this.epTouched) {
      if (tr.ep === ep.id && worthSummary(tr.epBusyMs, tr.epGpuSec, tr.epCpuSec)) rows.push(summaryRow(tr));
    }
    rows.sort((a, b) => b.gpuSec + b.cpuSec - (a.gpuSec + a.cpuSec));
    this.epTouched.clear();
    this.epExited = [];
    // "Nothing used your computer while you were away" is worth saying after a real absence,
    // not after a minute at the coffee machine.
    if (rows.length === 0 && inputT - ep.startT < QUIET_SUMMARY_MIN_MS) return;
    this.pendingSummary = {
      due: inputT + STOP_CONFIRM_MS,
      from: ep.startT,
      to: Math.max(inputT, ep.lastAwayT),
      rows: rows.slice(0, SUMMARY_MAX),
    };
  }

  private emitSummary(t: number, events: DetectorEvent[]): void {
    const p = this.pendingSummary;
    if (!p) return;
    this.pendingSummary = null;
    const processes = p.rows.map(({ key, ...row }) => ({
      ...row,
      severity: this.incidentByKey.get(key)?.severity ?? null,
    }));
    events.push({ type: 'away-summary', t, summary: { from: p.from, to: p.to, processes } });
  }

  // -------------------------------------------------------------------------------------------
  // Processes: first appearance, accounting, exit.

  private create(p: TraceProc, t: number): Track {
    const id: TraceIdentity = {
      pid: p.pid,
      ppid: typeof p.ppid === 'number' ? p.ppid : null,
      name:
        typeof p.name === 'string' && p.name !== ''
          ? p.name
          : typeof p.exe === 'string'
            ? baseName(p.exe, this.platform)
            : `pid ${p.pid}`,
      exe: typeof p.exe === 'string' && p.exe !== '' ? p.exe : null,
      cmdline: typeof p.cmdline === 'string' ? p.cmdline : '',
      user: typeof p.user === 'string' ? p.user : null,
      startT: typeof p.startT === 'number' ? p.startT : t,
    };
    const findings = identityFindings(id, this.platform);
    const tr: Track = {
      key: `${id.pid}:${id.startT}`,
      program: `${id.ppid ?? 0}|${id.exe ?? id.name}`,
      id,
      was: [],
      workedAs: null,
      findings,
      hostile: hostileIdentity(findings),
      allowlisted:
        this.allowlist?.({ pid: id.pid, exe: id.exe, cmdline: id.cmdline, name: id.name, user: id.user }) === true,
      browserRole: findings.browserRole ?? this.inheritedBrowserRole(id),
      gpu: new LoadChannel('gpu', t),
      cpu: new LoadChannel('cpu', t),
      gpuEp: { id: -1, cls: 'unknown', bucket: -1 },
      cpuEp: { id: -1, cls: 'unknown', bucket: -1 },
      steadyBucket: -1,
      stamp: 0,
      lastT: t,
      idx: -1,
      evidence: new Map(),
      incident: null,
      firstRaisedAt: null,
      firstMediumAt: null,
      idleGpuSec: 0,
      idleCpuSec: 0,
      ep: -1,
      epBusyMs: 0,
      epGpuSec: 0,
      epCpuSec: 0,
      sustained: false,
      benignCap: false,
      benignVoided: false,
      media: null,
      inhibitorKey: null,
      mediaOverSince: null,
      mediaRefused: false,
      lineage: [],
      remote: null,
      scheduled: false,
      peer: null,
      conns: null,
      recurKey: null,
      relaunchGap: null,
      dirty: false,
      trippedEpisode: -1,
      offeredEpisode: -1,
      gone: false,
    };
    this.identityEvidence(tr);
    this.tracks.set(id.pid, tr);
    this.born.push(tr);
    return tr;
  }

  /**
   * The real parent chain, read when the process first appears (parents can exit later, and
   * re-parenting to init is the only way to forge one): remote sessions, schedulers, Steam.
   */
  private resolveLineage(tr: Track, t: number): void {
    tr.lineage = walkLineage(tr.id.ppid, (pid) => {
      const a = this.tracks.get(pid);
      return a && a !== tr ? ancestorOf(a.id, a.peer) : undefined;
    });
    tr.remote = remoteOrigin(tr.lineage, this.platform);
    tr.scheduled = scheduledStart(tr.lineage, this.platform);
    if (tr.scheduled) {
      tr.recurKey = programKey(tr.id);
      tr.relaunchGap = this.recurring.launched(tr.recurKey, t);
    }
    this.applyLineage(tr);
  }

  /** Benign work known by who started it (benign-origin.ts); a borrowed benign name is an impostor. */
  private applyLineage(tr: Track): void {
    const v = steamShaderWork(tr.id, tr.lineage, this.platform);
    if (!v) return;
    if (v.kind === 'steam') tr.findings.benign ??= v.match;
    else {
      tr.findings.systemImpostor ??= { posedAs: v.posedAs, expected: v.expected, typo: false };
      tr.hostile = true;
    }
    this.identityEvidence(tr);
  }

  /**
   * The process replaced its program (exec): same pid and start time, a new identity. Everything the
   * identity alone decides is decided again, the old program's excuses do not carry over, and its
   * hostile evidence stays (said of the old name). Load evidence belongs to the process and stays.
   */
  private reidentify(tr: Track, next: TraceIdentity, t: number): void {
    const old = tr.id;
    const dropped = pushPrior(tr.was, priorIdentity(old, t));
    if (dropped > 0 && tr.workedAs !== null && tr.workedAs > 1) tr.workedAs -= dropped;
    tr.id = next;
    tr.program = `${next.ppid ?? 0}|${next.exe ?? next.name}`;
    for (const rule of IDENTITY_RULES) {
      const e = tr.evidence.get(rule);
      if (!e) continue;
      const carried = carriedIdentityEvidence(rule, e.detail, old);
      if (carried === null) tr.evidence.delete(rule);
      else tr.evidence.set(rule, { points: e.points, detail: carried });
    }
    tr.findings = identityFindings(next, this.platform);
    // Hostility is sticky: a miner that execs into a harmless-looking program is still the miner.
    tr.hostile = tr.hostile || hostileIdentity(tr.findings);
    tr.allowlisted =
      this.allowlist?.({ pid: next.pid, exe: next.exe, cmdline: next.cmdline, name: next.name, user: next.user }) ===
      true;
    tr.browserRole = tr.findings.browserRole ?? this.inheritedBrowserRole(next);
    tr.benignCap = false;
    tr.media = null;
    tr.inhibitorKey = null;
    this.identityEvidence(tr);
    this.applyLineage(tr);
    this.markDirty(tr);
  }

  /** Children of a browser that carry Chromium's --type flag are its renderers and helpers. */
  private inheritedBrowserRole(id: TraceIdentity): string | null {
    if (id.ppid === null) return null;
    const parent = this.tracks.get(id.ppid);
    if (!parent?.browserRole) return null;
    if (/--type=renderer\b|-contentproc\b/.test(id.cmdline)) return 'renderer (a tab)';
    if (/--type=gpu-process\b/.test(id.cmdline)) return 'GPU process';
    if (/--type=utility\b/.test(id.cmdline)) return 'utility process';
    return null;
  }

  private account(tr: Track, gpu: number, cpu: number, dt: number, busy: boolean): void {
    const ep = this.episode;
    if (!ep) return;
    if (tr.ep !== ep.id) {
      tr.ep = ep.id;
      tr.epBusyMs = 0;
      tr.epGpuSec = 0;
      tr.epCpuSec = 0;
      this.epTouched.add(tr);
    }
    const g = (gpu / 100) * (dt / 1000);
    const c = (cpu / 100) * (dt / 1000);
    tr.epGpuSec += g;
    tr.epCpuSec += c;
    tr.idleGpuSec += g;
    tr.idleCpuSec += c;
    if (busy) tr.epBusyMs += dt;
  }

  private exit(tr: Track, t: number, events: DetectorEvent[]): void {
    tr.gone = true;
    if (tr.recurKey !== null) this.recurring.exited(tr.recurKey, t);
    this.hideExit(tr);
    // A process that quits right after the user returns stopped on activity, too.
    const remaining: Watch[] = [];
    for (const w of this.watches) {
      if (w.track !== tr) {
        remaining.push(w);
        continue;
      }
      if (w.fellAt !== null) this.stopEvidence(w, w.fellAt, false);
      else if (this.prevT !== null && this.prevT - w.inputT <= STOP_FALL_MS) this.stopEvidence(w, this.prevT, true);
    }
    this.watches = remaining;
    if (
      this.episode &&
      tr.ep === this.episode.id &&
      worthSummary(tr.epBusyMs, tr.epGpuSec, tr.epCpuSec) &&
      this.epExited.length < SUMMARY_MAX
    ) {
      this.epExited.push(summaryRow(tr));
    }
    this.epTouched.delete(tr);
    if (this.episode && this.awayBusy.delete(tr)) this.finalIdleDetails(tr, this.episode);
    if (tr.dirty) {
      this.dirty.delete(tr);
      this.rescore(tr, t, events);
    }
    if (tr.incident) syncCounters(tr);
    this.policy.forget(tr.key);
    if (this.tracks.get(tr.id.pid) === tr) this.tracks.delete(tr.id.pid);
  }

  // -------------------------------------------------------------------------------------------
  // Rules.

  private setEvidence(tr: Track, rule: RuleId, points: number, detail: string): void {
    const old = tr.evidence.get(rule);
    if (old && old.points === points && old.detail === detail) return;
    tr.evidence.set(rule, { points, detail });
    this.markDirty(tr);
  }

  private markDirty(tr: Track): void {
    tr.dirty = true;
    this.dirty.add(tr);
  }

  /** Evidence from the identity alone: signatures, where it runs from, impostor names, benign work. */
  private identityEvidence(tr: Track): void {
    const f = tr.findings;
    if (f.signature) {
      const s = f.signature;
      const points = s.both
        ? WEIGHTS.signatureBoth
        : s.strength === 'strong'
          ? WEIGHTS.signatureStrong
          : s.strength === 'name'
            ? WEIGHTS.signatureName
            : WEIGHTS.signatureWeak;
      this.setEvidence(tr, 'miner-signature', points, s.detail);
    }
    this.locationEvidence(tr);
    if (f.benign && !tr.hostile && f.benign.entry.effect === 'cap') {
      tr.benignCap = true;
      this.setEvidence(tr, 'benign-idle-work', 0, `${f.benign.entry.label} (${f.benign.what}): normal idle-time work`);
    }
  }

  /** Impostor names, where it runs from, a missing file: weighed by the one table the scan reads too. */
  private locationEvidence(tr: Track): void {
    for (const item of provenanceEvidence({ exe: tr.id.exe, ...tr.findings }, tr.sustained)) {
      // A trace does not say who may write a folder; that rule is the scan's alone.
      if (item.rule === 'world-writable-folder') continue;
      this.setEvidence(tr, item.rule, item.points, item.detail);
    }
  }

  private checkConns(tr: Track, conns: TraceConn[]): void {
    if (keepsPeer(tr.id.name)) tr.peer = peerHost(conns) ?? tr.peer;
    if (tr.evidence.has('pool-connection')) return;
    if (this.checkResolved(tr, conns)) return;
    const hit = poolConnection(conns);
    if (!hit) return;
    this.setEvidence(tr, 'pool-connection', WEIGHTS.pool, `connected to ${hit}, a port mining pools use`);
    if (tr.benignCap) this.voidBenign(tr);
  }

  /**
   * A connection to an address the resolver cache maps to a mining domain, on any port. Only a
   * process already busy or with evidence is asked about: a question may cost the monitor a read
   * of the resolver cache, and an idle browser's connections are not worth one.
   */
  private checkResolved(tr: Track, conns: readonly TraceConn[]): boolean {
    if (!this.resolvedMiningName || !(tr.sustained || tr.evidence.size > 0)) return false;
    const named = miningNameConnection(conns, this.resolvedMiningName);
    if (!named) return false;
    this.setEvidence(
      tr,
      'pool-connection',
      WEIGHTS.poolDomain,
      `connected to ${named.remote}, which the resolver cache maps to ${named.name} (${named.domain} is on the mining-domain list)`,
    );
    if (tr.benignCap) this.voidBenign(tr);
    return true;
  }

  /** Rules that look at a busy series: sustained load while away, its onset, its flatness. */
  private checkLoad(tr: Track, ch: LoadChannel, es: ChannelEpisode, phase: UserPhase, s: TraceSample): void {
    if (this.present) {
      this.programBusy.set(tr.program, s.t);
      this.recurring.busyWhilePresent(programKey(tr.id), s.t);
    }
    if (!tr.sustained && ch.runMs >= SUSTAIN_MS) {
      tr.sustained = true;
      this.locationEvidence(tr);
    }
    const ep = this.episode;
    if (phase === 'away' && ep && ch.awayRunMs >= SUSTAIN_MS) {
      if (es.id !== ep.id) {
        es.id = ep.id;
        es.cls = this.classify(tr, ch, ep);
        es.bucket = -1;
        this.awayBusy.add(tr);
        tr.trippedEpisode = ep.id;
        this.onsetEvidence(tr, ch, es.cls, ep);
        this.noteRecurrence(tr, ep, s.t);
        this.markDirty(tr);
      }
      const b = bucketOf(ch.maxAwayRunMs);
      if (b > es.bucket) {
        es.bucket = b;
        this.idleLoadEvidence(tr, ch, ep, s.user.idleSec);
      }
    }
    if (phase !== 'active' && ch.steady(STEADY_MIN_RUN_MS)) {
      // GPU compute kernels that run on their own, with the CPU nearly idle, are what hashing
      // looks like; games, renders and model training keep a core or more busy feeding the GPU.
      const gpuOnly = ch.kind === 'gpu' && !tr.cpu.busy && tr.cpu.level < GPU_ONLY_CPU_MAX;
      const b = bucketOf(ch.statsMs);
      const had = tr.evidence.get('steady-load');
      if (b > tr.steadyBucket || (gpuOnly && had !== undefined && had.points < WEIGHTS.steadyGpuOnly)) {
        tr.steadyBucket = Math.max(b, tr.steadyBucket);
        const mean = Math.round(ch.runMean);
        const sd = Math.max(1, Math.round(ch.runSd));
        const value = ch.kind === 'cpu' ? load('cpu', mean).slice(4) : `${mean}%`;
        const points = Math.max(had?.points ?? 0, gpuOnly ? WEIGHTS.steadyGpuOnly : WEIGHTS.steady);
        const tail = gpuOnly
          ? `with the CPU almost idle (${Math.round(tr.cpu.level)}%): flat compute on its own, like hashing`
          : 'flat like hashing (games and renders vary more)';
        this.setEvidence(
          tr,
          'steady-load',
          points,
          `${kindName(ch.kind)} held ${value} ± ${sd}% for ${seconds(ch.statsMs)} ${tail}`,
        );
      }
    }
  }

  private classify(tr: Track, ch: LoadChannel, ep: Episode): OnsetClass {
    return classifyOnset(ch, this.absence(tr, ep));
  }

  private absence(tr: Track, ep: Episode) {
    return {
      leftAt: ep.leftAt,
      lockStartT: ep.lockStartT,
      lastActiveT: this.lastActiveT,
      startT: tr.id.startT,
      siblingBusyT: this.programBusy.get(tr.program),
    };
  }

  private onsetEvidence(tr: Track, ch: LoadChannel, cls: OnsetClass, ep: Episode): void {
    if (tr.remote) {
      // Someone present elsewhere started it: its start after you left is not a miner waiting.
      this.setEvidence(
        tr,
        'remote-session',
        0,
        `${remoteDetail(tr.remote)}: someone using this computer from elsewhere, so starting while nobody was at this screen is no sign of a miner waiting for you to leave`,
      );
      if (cls === 'onset') return;
    }
    if (cls === 'onset') {
      const detail = onsetDetail(ch, this.absence(tr, ep));
      // A game waits for a player: one that gets to work after the player left is no game.
      const game = tr.findings.benign?.entry.kind === 'game';
      if (!tr.evidence.has('onset-after-idle'))
        this.setEvidence(
          tr,
          'onset-after-idle',
          WEIGHTS.onset + (game ? WEIGHTS.gameOnset : 0),
          game ? `${detail}; a game does not play itself while nobody is there` : detail,
        );
      if (tr.browserRole) this.browserEvidence(tr);
      return;
    }
    if (cls === 'continuing') {
      const b = tr.findings.benign;
      if (b && b.entry.effect === 'continuing' && !tr.hostile && !tr.evidence.has('benign-idle-work')) {
        this.setEvidence(
          tr,
          'benign-idle-work',
          WEIGHTS.benignContinuing,
          `${b.entry.label} (${b.what}) that was already running before you left`,
        );
      }
    }
  }

  private idleLoadEvidence(tr: Track, ch: LoadChannel, ep: Episode, idle: number | null): void {
    const grows = tr.evidence.has('onset-after-idle') && ch.maxAwayRunMs >= LONG_MS;
    let points: number;
    if (ch.kind === 'gpu') points = grows ? WEIGHTS.gpuIdleLong : WEIGHTS.gpuIdle;
    else
      points =
        WEIGHTS.cpuIdle + (ch.maxAwayRunMean >= 100 ? WEIGHTS.cpuIdleHeavy : 0) + (grows ? WEIGHTS.cpuIdleLong : 0);
    const note = ep.locked
      ? 'screen locked'
      : typeof idle === 'number'
        ? `no input for ${seconds(idle * 1000)}`
        : 'idle';
    const rule: RuleId = ch.kind === 'gpu' ? 'gpu-while-idle' : 'cpu-while-idle';
    const old = tr.evidence.get(rule);
    if (old && old.points > points) points = old.points;
    const when = tr.remote ? 'while nobody was at this screen' : 'while you were away';
    const from = tr.remote ? `; ${remoteDetail(tr.remote)}` : '';
    this.setEvidence(
      tr,
      rule,
      points,
      `${load(ch.kind, ch.maxAwayRunMean)} for ${seconds(ch.maxAwayRunMs)} ${when} (${note})${from}`,
    );
  }

  /** Re-words the idle-load evidence with the final numbers of a stretch (between the coarse steps). */
  private finalIdleDetails(tr: Track, ep: Episode): void {
    for (const kind of ['gpu', 'cpu'] as const) {
      const es = kind === 'gpu' ? tr.gpuEp : tr.cpuEp;
      if (es.id === ep.id) this.idleLoadEvidence(tr, tr[kind], ep, ep.idleSec);
    }
  }

  private browserEvidence(tr: Track): void {
    if (tr.evidence.has('browser-idle-load')) return;
    this.setEvidence(
      tr,
      'browser-idle-load',
      WEIGHTS.browserIdle,
      `a browser ${tr.browserRole} that works only while you are away: web miners hide in tabs like this`,
    );
  }

  /** A benign reading that the evidence contradicts (a pool connection, hiding on return) is dropped. */
  private voidBenign(tr: Track): void {
    tr.benignCap = false;
    tr.benignVoided = true;
    if (tr.evidence.get('benign-idle-work')?.points === 0) {
      tr.evidence.delete('benign-idle-work');
      this.markDirty(tr);
    }
  }

  /**
   * Media playback (signals/media.ts): a credible player or browser holding an idle inhibitor, with
   * load shaped like playback. The excuse is re-checked every sample and forfeited for good once
   * the load leaves that shape.
   */
  private checkInhibitors(s: TraceSample): void {
    const list = s.user.inhibitors ?? [];
    const key = list.join('\n');
    for (const tr of this.awayBusy) {
      if (tr.media !== null) {
        const step = stepMediaShape(tr.mediaOverSince, tr.cpu.level, tr.gpu.level, s.t);
        tr.mediaOverSince = step.overSince;
        if (step.forfeit) this.forfeitMedia(tr);
        continue;
      }
      if (list.length === 0 || tr.mediaRefused || tr.inhibitorKey === key || tr.hostile || tr.benignVoided) continue;
      // Not cached: out of shape now, it may be playback that settles after a start-up spike.
      if (!mediaShaped(tr.cpu.level, tr.gpu.level)) continue;
      tr.inhibitorKey = key;
      const parent = tr.id.ppid !== null ? this.tracks.get(tr.id.ppid) : undefined;
      const inh = inhibitorFor(mediaCandidate(tr), parent ? mediaCandidate(parent) : null, list, this.platform);
      if (inh === null) continue;
      tr.media = inh;
      tr.mediaOverSince = null;
      this.setEvidence(
        tr,
        'benign-idle-work',
        0,
        `plays media: "${inh}" holds an idle inhibitor (video or music playing)`,
      );
    }
  }

  private forfeitMedia(tr: Track): void {
    tr.media = null;
    tr.mediaRefused = true;
    if (tr.evidence.get('benign-idle-work')?.detail.startsWith('plays media') === true) {
      tr.evidence.delete('benign-idle-work');
    }
    this.markDirty(tr);
  }

  /**
   * A scheduler relaunched this program within minutes of its last run, and this run, started in
   * the absence, works while nobody is here: persistence, which forfeits any excuse (signals/recurring.ts).
   */
  private noteRecurrence(tr: Track, ep: Episode, t: number): void {
    if (tr.recurKey === null || tr.relaunchGap === null || tr.id.startT < ep.leftAt) return;
    if (!this.recurring.idleOnly(tr.recurKey, t) || tr.evidence.has('scheduled-respawn')) return;
    this.setEvidence(tr, 'scheduled-respawn', RECUR_POINTS, recurringDetail(tr.relaunchGap));
    if (tr.benignCap || tr.media !== null) {
      tr.media = null;
      this.voidBenign(tr);
    }
  }

  /** Stop-on-return checks: did the load fall within seconds of the first input, and stay down? */
  private processWatches(t: number): void {
    if (this.watches.length === 0) return;
    const keep: Watch[] = [];
    for (const w of this.watches) {
      const ch = w.track[w.kind];
      const step = stepWatch(w, ch.raw, ch.busy, t, ch.thr.off, this.header.intervalMs);
      if (step === 'waiting') keep.push(w);
      else if (step === 'stopped' && w.fellAt !== null) this.stopEvidence(w, w.fellAt, false);
      // It kept going: a job the user started, or work that does not care about presence.
      else if (step === 'kept-going') this.keptGoing(w);
    }
    this.watches = keep;
  }

  private stopEvidence(w: Watch, fellAt: number, quit: boolean): void {
    const tr = w.track;
    // A load that was already running while the user was here is no hider: a stealth miner pauses
    // while you are present. Its end right at your return is you closing it, or chance.
    if ((w.kind === 'gpu' ? tr.gpuEp : tr.cpuEp).cls === 'continuing') return;
    this.setEvidence(tr, 'stops-on-activity', WEIGHTS.stops, stopDetail(w, fellAt, quit));
    // Software that does not pause for people (a backup, a model server) but did so after a long
    // run is not what it claims to be; a short burst ending near the return can be chance.
    const b = tr.findings.benign;
    if (tr.benignCap && b && !STOPS_BY_DESIGN.has(b.entry.kind) && w.runMs >= BENIGN_VOID_RUN_MS) this.voidBenign(tr);
    if (tr.browserRole) this.browserEvidence(tr);
  }

  private keptGoing(w: Watch): void {
    const tr = w.track;
    const es = w.kind === 'gpu' ? tr.gpuEp : tr.cpuEp;
    // Relief is for ordinary programs: not for one whose identity or connections already look hostile.
    if (
      es.cls !== 'continuing' ||
      tr.evidence.has('stops-on-activity') ||
      tr.hostile ||
      tr.evidence.has('pool-connection') ||
      tr.evidence.has('hides-when-watched')
    )
      return;
    // Nor for GPU work that runs on its own as hashing does: renders and games feed the GPU from a CPU core.
    if ((tr.evidence.get('steady-load')?.points ?? 0) >= WEIGHTS.steadyGpuOnly) return;
    const existing = tr.evidence.get('benign-idle-work');
    if (existing && existing.points <= WEIGHTS.keptGoing) return;
    const label =
      tr.findings.benign && !tr.hostile
        ? tr.findings.benign.entry.label
        : 'a job you started, like a render or a game left running';
    this.setEvidence(
      tr,
      'benign-idle-work',
      Math.min(WEIGHTS.keptGoing, (existing?.points ?? 0) + WEIGHTS.keptGoing),
      `was already busy before you left and kept going after you came back: ${label}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Hides when watched (signals/watched.ts).

  /** Whether the watcher a check is about is still there. */
  private stillWatching(h: Hide): boolean {
    if (h.from === null) return this.windowOpen;
    return this.watchers.get(h.from.pid)?.startT === h.from.startT;
  }

  /**
   * Before the sample's readings apply: notes the window and the monitor tools that appeared, and
   * for each one that just opened arms a check on every load at work (their last readings are from
   * before). Each opening counts on its own: an htop left open in a terminal all day must not hide
   * the Task Manager someone opens later.
   */
  /**
   * Null: look at every entry. Otherwise the indices to look at, when the sample lists the same
   * processes at the same places as the last one: all but the quiet entries handed again.
   */
  private entriesToLookAt(procs: TraceSample['procs'], afresh: boolean): number[] | null {
    const last = this.lastProcs;
    if (afresh || last === null || last.length !== procs.length || this.quiet.length !== procs.length) return null;
    const work: number[] = [];
    for (let i = 0; i < procs.length; i++) {
      const p = procs[i]!;
      const q = last[i]!;
      if (p === q) {
        if (this.quiet[i] === 0) work.push(i);
        continue;
      }
      if (p.pid !== q.pid || p.startT !== undefined) return null;
      work.push(i);
    }
    // Nothing to skip (replay reads fresh objects): the plain walk, without a copy of the list.
    return work.length === procs.length ? null : work;
  }

  private noteWatchers(procs: TraceSample['procs'], sampleT: number, first: boolean): void {
    const opened: { label: string; from: Hide['from'] }[] = [];
    if (this.windowChange !== null) {
      if (this.windowChange && !this.windowOpen) opened.push({ label: 'the Idlewatch window', from: null });
      this.windowOpen = this.windowChange;
      this.windowChange = null;
    }
    for (const p of procs) {
      if (p.name === undefined && p.exe === undefined) continue;
      const known = this.watchers.get(p.pid);
      if (known && (p.startT === undefined || p.startT === known.startT)) continue;
      const tr = this.tracks.get(p.pid);
      const name = p.name ?? tr?.id.name ?? '';
      const exe = p.exe !== undefined ? p.exe : (tr?.id.exe ?? null);
      const tool = watchToolLabel(name, typeof exe === 'string' && exe !== '' ? exe : null, this.platform);
      if (tool === null) {
        if (known) this.watchers.delete(p.pid);
        continue;
      }
      const startT = p.startT ?? tr?.id.startT ?? sampleT;
      this.watchers.set(p.pid, { startT, label: tool });
      opened.push({ label: tool, from: { pid: p.pid, startT } });
    }
    // Tools already open when monitoring began were opened at a time nobody knows; a fullscreen
    // game losing the screen to the tool pauses for that reason, not to hide.
    if (first || opened.length === 0 || this.fullscreen()) return;
    for (const o of opened) {
      for (const tr of this.tracks.values()) {
        for (const kind of ['gpu', 'cpu'] as const) {
          if (this.hides.some((h) => h.track === tr && h.kind === kind)) continue;
          const h = armHide(kind, tr[kind], o.label, sampleT);
          if (h) this.hides.push({ ...h, track: tr, from: o.from });
        }
      }
    }
  }

  private processHides(t: number): void {
    if (this.hides.length === 0) return;
    const keep: Hide[] = [];
    for (const h of this.hides) {
      const ch = h.track[h.kind];
      const step = stepHide(h, ch.raw, t, this.stillWatching(h), ch.thr.off, this.header.intervalMs);
      if (step === 'waiting') keep.push(h);
      else if (step === 'hid') this.hideEvidence(h, t);
    }
    this.hides = keep;
  }

  private hideEvidence(h: Hide, t: number): void {
    const tr = h.track;
    const c = this.hidCount.get(tr) ?? { n: 0, lastStart: Number.NEGATIVE_INFINITY };
    // GPU and CPU hiding from the same watch are one act.
    if (c.lastStart !== h.startT) {
      c.n++;
      c.lastStart = h.startT;
    }
    this.hidCount.set(tr, c);
    this.setEvidence(tr, 'hides-when-watched', c.n >= 2 ? WEIGHTS.hidesTwice : WEIGHTS.hides, hideDetail(h, t, c.n));
    // Backups, servers and renders have no reason to pause for an observer.
    const b = tr.findings.benign;
    if (tr.benignCap && b && !STOPS_BY_DESIGN.has(b.entry.kind)) this.voidBenign(tr);
  }

  // -------------------------------------------------------------------------------------------
  // Regular bursts while away (signals/bursts.ts).

  private burstStep(tr: Track, t: number, dt: number, gpuRaw: number, cpuRaw: number): void {
    let b = this.bursts.get(tr);
    if (!b) {
      const fresh = (kind: 'gpu' | 'cpu'): BurstTrack => ({
        series: newSeries(kind),
        sum: 0,
        ms: 0,
        presentEnd: Number.NEGATIVE_INFINITY,
        episode: -1,
      });
      b = { gpu: fresh('gpu'), cpu: fresh('cpu') };
      this.bursts.set(tr, b);
    }
    for (const kind of ['gpu', 'cpu'] as const) {
      const ch = tr[kind];
      const bt = b[kind];
      // A miner's own idle threshold can be shorter than ours: its first bursts may come before
      // the user counts as away, but never while they are at the keyboard.
      if (ch.busy) {
        if (!this.present) {
          bt.sum += (kind === 'gpu' ? gpuRaw : cpuRaw) * dt;
          bt.ms += dt;
        }
        continue;
      }
      if (ch.lastRunEnd !== t) continue;
      if (this.present) bt.presentEnd = t;
      else if (bt.ms > 0) noteBurst(bt.series, ch.lastRunStart, t, bt.sum / bt.ms);
      bt.sum = 0;
      bt.ms = 0;
      this.burstEvidence(tr, kind, bt);
    }
  }

  private burstEvidence(tr: Track, kind: 'gpu' | 'cpu', bt: BurstTrack): void {
    const ep = this.episode;
    if (!ep || bt.episode === ep.id) return;
    const v = regularBursts(bt.series);
    // Bursting while the user was here too is their work (a server answering, a sync client).
    if (!v || bt.presentEnd >= v.firstStart - BURST_GAP_MAX_MS) return;
    bt.episode = ep.id;
    const rule: RuleId = kind === 'gpu' ? 'gpu-while-idle' : 'cpu-while-idle';
    if (!tr.evidence.has(rule)) {
      const load = kind === 'gpu' ? WEIGHTS.gpuIdle : WEIGHTS.cpuIdle + (v.level >= 100 ? WEIGHTS.cpuIdleHeavy : 0);
      this.setEvidence(tr, rule, load, burstLoadDetail(kind, v));
    }
    // The timer's regularity is this load's flatness: hashing scheduled on and off.
    const steady = tr.evidence.get('steady-load');
    if (!steady || steady.points < WEIGHTS.burstsRegular)
      this.setEvidence(tr, 'steady-load', WEIGHTS.burstsRegular, burstDetail(kind, v));
    if (v.firstStart >= ep.leftAt + ONSET_GAP_MS && !tr.evidence.has('onset-after-idle')) {
      this.setEvidence(
        tr,
        'onset-after-idle',
        WEIGHTS.onset,
        `its bursts began ${seconds(v.firstStart - ep.leftAt)} after your last input; it was quiet while you were using the computer`,
      );
    }
    tr.trippedEpisode = ep.id;
  }

  private hideExit(tr: Track): void {
    this.bursts.delete(tr);
    if (this.watchers.get(tr.id.pid)?.startT === tr.id.startT) this.watchers.delete(tr.id.pid);
    if (this.hides.some((h) => h.track === tr)) this.hides = this.hides.filter((h) => h.track !== tr);
    this.hidCount.delete(tr);
  }

  // -------------------------------------------------------------------------------------------
  // Incidents and notifications.

  private rescoreDirty(t: number, events: DetectorEvent[]): void {
    if (this.dirty.size === 0) return;
    for (const tr of this.dirty) {
      // A skipped track is in this sample all the same: it was last seen now.
      if (this.skipping && this.tracks.get(tr.id.pid) === tr) tr.lastT = t;
      this.rescore(tr, t, events);
    }
    this.dirty.clear();
  }

  private rescore(tr: Track, t: number, events: DetectorEvent[]): void {
    tr.dirty = false;
    // Whatever rescoring does, the track is looked at again next sample.
    if (tr.idx >= 0 && tr.idx < this.quiet.length) this.quiet[tr.idx] = 0;
    const hostileNow = tr.hostile || tr.benignVoided || tr.evidence.has('pool-connection');
    // An entry vouches for the file, not for what the process does: hostile evidence lifts it.
    const but = tr.allowlisted ? allowlistedBut(evidenceReasons(tr.evidence)) : null;
    const silenced = tr.allowlisted && but === null;
    const cap = silenced || (!hostileNow && (tr.benignCap || tr.media !== null));
    const a = assess(tr.evidence, this.sensitivity, cap);
    if (a.severity === null && !tr.incident) return;
    const severity: Severity = a.severity ?? 'low';
    let inc = tr.incident;
    const at = Math.min(t, tr.lastT);
    if (!inc) {
      tr.firstRaisedAt = at;
      inc = {
        pid: tr.id.pid,
        startT: tr.id.startT,
        name: tr.id.name,
        exe: tr.id.exe,
        cmdline: tr.id.cmdline,
        user: tr.id.user,
        severity,
        score: a.score,
        firstAt: at,
        lastAt: tr.lastT,
        reasons: a.reasons,
        idleGpuSec: 0,
        idleCpuSec: 0,
        allowlisted: silenced,
      };
      if (but !== null) inc.allowlistedBut = but;
      nameIncident(inc, tr);
      tr.incident = inc;
      this.incidentByKey.set(tr.key, inc);
      if (severityRank(severity) >= 1) tr.firstMediumAt = at;
      inc.firstAt = tr.firstMediumAt ?? at;
      syncCounters(tr);
      events.push({ type: 'incident-raised', t, incident: copy(inc) });
    } else {
      const before = inc.severity;
      const renamed = nameIncident(inc, tr);
      const butChanged = inc.allowlisted !== silenced || (inc.allowlistedBut ?? null) !== but;
      inc.allowlisted = silenced;
      if (but !== null) inc.allowlistedBut = but;
      else delete inc.allowlistedBut;
      const changed =
        butChanged || renamed || before !== severity || inc.score !== a.score || !sameReasons(inc.reasons, a.reasons);
      inc.severity = severity;
      inc.score = a.score;
      inc.reasons = a.reasons;
      if (severityRank(severity) >= 1 && tr.firstMediumAt === null) tr.firstMediumAt = at;
      inc.firstAt = severityRank(severity) >= 1 ? (tr.firstMediumAt ?? at) : (tr.firstRaisedAt ?? at);
      syncCounters(tr);
      if (severityRank(severity) > severityRank(before))
        events.push({ type: 'incident-escalated', t, incident: copy(inc), from: before });
      else if (changed) events.push({ type: 'incident-updated', t, incident: copy(inc) });
    }
    this.maybeOffer(tr, inc, t);
  }

  private maybeOffer(tr: Track, inc: Incident, t: number): void {
    if (inc.allowlisted || severityRank(inc.severity) < 1) return;
    const episode = this.episodeCounter;
    if (tr.offeredEpisode === episode) return;
    // Offered once when it first reaches medium, then again only when it trips in a later absence.
    if (tr.offeredEpisode !== -1 && tr.trippedEpisode !== episode) return;
    tr.offeredEpisode = episode;
    const strongest = [...tr.evidence.entries()]
      .filter(([, e]) => e.points > 0)
      .sort((a, b) => b[1].points - a[1].points)[0];
    const candidate: NotifyCandidate = {
      key: tr.key,
      pid: tr.id.pid,
      name: inc.name,
      severity: inc.severity,
      headline: strongest ? strongest[1].detail : '',
      episode,
    };
    this.policy.offer(candidate, t);
  }
}

function evidenceReasons(evidence: ReadonlyMap<RuleId, Evidence>): Reason[] {
  return [...evidence].map(([rule, e]) => ({ rule, detail: e.detail }));
}

function mediaCandidate(tr: Track): MediaCandidate {
  return { name: tr.id.name, exe: tr.id.exe, browserRole: tr.browserRole, hostile: tr.hostile };
}

function clampNum(v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return 0;
  return v > max ? max : v;
}

function worthSummary(busyMs: number, gpuSec: number, cpuSec: number): boolean {
  return busyMs >= SUMMARY_MIN_BUSY_MS || gpuSec >= SUMMARY_MIN_GPU_SEC || cpuSec >= SUMMARY_MIN_CPU_SEC;
}

function summaryRow(tr: Track): PendingSummary['rows'][number] {
  const named = workingIdentity(tr);
  return {
    key: tr.key,
    pid: tr.id.pid,
    startT: tr.id.startT,
    name: named.name,
    exe: named.exe,
    busySec: Math.round(tr.epBusyMs / 1000),
    gpuSec: round1(tr.epGpuSec),
    cpuSec: round1(tr.epCpuSec),
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The identity that did the latest work (the current one before any load), and those before it. */
function workingIdentity(tr: Track): {
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  was: PriorIdentity[];
} {
  const i = tr.workedAs;
  if (i === null || i >= tr.was.length) return { ...tr.id, was: tr.was };
  const p = tr.was[i]!;
  return { name: p.name, exe: p.exe, cmdline: p.cmdline, user: p.user, was: tr.was.slice(0, i) };
}

/** Gives the incident the identity of the program that did the work; true when that changed it. */
function nameIncident(inc: Incident, tr: Track): boolean {
  const named = workingIdentity(tr);
  const prior = inc.was?.length ?? 0;
  const changed =
    inc.name !== named.name ||
    inc.exe !== named.exe ||
    inc.cmdline !== named.cmdline ||
    inc.user !== named.user ||
    prior !== named.was.length;
  if (!changed) return false;
  inc.name = named.name;
  inc.exe = named.exe;
  inc.cmdline = named.cmdline;
  inc.user = named.user;
  if (named.was.length > 0) inc.was = named.was.map((w) => ({ ...w }));
  else delete inc.was;
  return true;
}

function syncCounters(tr: Track): void {
  if (!tr.incident) return;
  tr.incident.idleGpuSec = round1(tr.idleGpuSec);
  tr.incident.idleCpuSec = round1(tr.idleCpuSec);
}

function copy(i: Incident): Incident {
  const c: Incident = { ...i, reasons: i.reasons.map((r) => ({ ...r })) };
  if (i.was) c.was = i.was.map((w) => ({ ...w }));
  return c;
}

function sameReasons(a: Incident['reasons'], b: Incident['reasons']): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.rule !== b[i]!.rule || a[i]!.detail !== b[i]!.detail) return false;
  return true;
}

/** Runs a whole stream through a fresh detector and returns its incidents (tests, tools). */
export function detectSamples(
  header: TraceHeader,
  samples: Iterable<TraceSample>,
  options?: DetectorOptions,
): Incident[] {
  const d = new Detector(header, options);
  for (const s of samples) d.push(s);
  d.finish();
  return d.incidents();
}

/** The entry says nothing but its pid (an idle process in a trace sample). */
function bareEntry(p: TraceSample['procs'][number]): boolean {
  return (
    p.cpu === undefined &&
    p.gpu === undefined &&
    p.gpuMemMiB === undefined &&
    p.conns === undefined &&
    p.name === undefined &&
    p.exe === undefined &&
    p.cmdline === undefined &&
    p.user === undefined &&
    p.ppid === undefined &&
    p.startT === undefined
  );
}
