/**
 * The vocabulary of the scenario generator: hosts, processes with their lifetimes and load over
 * time, and the ground truth a generated trace carries. Times are trace milliseconds (t = 0 is the
 * first sample); a negative time is before the recording started.
 */
import type { Platform, TraceConn, TraceGpu } from '../../shared/trace.js';
import type { Timeline } from './timeline.js';

export type Label = 'miner' | 'benign';

export interface Host {
  platform: Platform;
  cpuCores: number;
  gpus: TraceGpu[];
  /** Login name of the desktop user. */
  user: string;
  /** Home folder in the platform's spelling (/home/ana, C:\Users\ana, /Users/ana). */
  home: string;
  /** Whether the recorder on this host lists network connections (not every collector does). */
  collectsConns: boolean;
  /** Whether per-process GPU use is measured (false: only device totals, as on many macOS setups). */
  gpuPerProcess: boolean;
  /**
   * Whether the recorder runs with privilege. Unprivileged on Linux it cannot read another user's
   * /proc/PID/exe (null), and on Windows it gets neither path nor command line of SYSTEM and
   * service processes; macOS `ps` shows them all.
   */
  privileged: boolean;
}

/** A number drawn around `mean` every sample (clamped at 0). */
export interface Noisy {
  mean: number;
  sd: number;
}

/** What a process does while a load source applies. */
export interface Level {
  /** Percent of one core. */
  cpu?: Noisy;
  /** Percent of its GPU. */
  gpu?: Noisy;
  /** GPU memory held while this level applies (MiB). */
  gpuMemMiB?: number;
  /** Work in on/off cycles (throttled and web miners sleep between batches). */
  duty?: { onMs: number; offMs: number };
}

export interface Span {
  from: number;
  to: number;
}

export interface WorkSpan extends Span {
  level: Level;
  /** Load grows linearly to the level over this long (DAG generation, RandomX dataset init, warm-up). */
  rampMs?: number;
}

export type LoadSource =
  /** Explicit windows of work. */
  | { kind: 'spans'; spans: WorkSpan[] }
  /** The same load for as long as the process lives. */
  | { kind: 'constant'; level: Level }
  /**
   * Load that follows the person at the keyboard: full while input came in the last `lingerSec`,
   * `awayFactor` of it otherwise (compositors, browsers, editors redraw when used).
   */
  | { kind: 'presence'; level: Level; lingerSec: number; awayFactor: number }
  /** Scheduler crumbs: in a fraction `p` of samples, a small CPU reading (kernel threads, daemons). */
  | { kind: 'flicker'; p: number; cpu: [number, number] };

export type Role = 'background' | 'target' | 'lookalike';

export interface ProcSpec {
  /** Unique within a scenario; parents refer to it. */
  key: string;
  role: Role;
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  /** Key of the parent process spec; its live instance's pid becomes the ppid. */
  parent?: string;
  /** A fixed ppid instead (0 for init, 2 for Linux kernel threads, 4 for Windows' System). */
  ppid?: number;
  /** A fixed pid (1 for init, 2 for kthreadd, 4 for Windows' System). */
  pid?: number;
  /** Each life is one process (its own pid and start time). */
  lives: Span[];
  load: LoadSource[];
  /** Which GPU its GPU figures refer to (defaults to the first). */
  gpuId?: string;
  /** GPU memory held for as long as it lives (a GPU context), in MiB. */
  gpuMemMiB?: number;
  /** Open connections while alive, where the host collects them. */
  conns?: TraceConn[];
  /**
   * The process replaces its program (exec) at these times: same pid and start time, a new name,
   * executable and command line from then on (a launcher script that becomes the miner).
   */
  execs?: Exec[];
  /** No load at all during these spans (a miner that stops while a process monitor is open). */
  pauses?: Span[];
}

export interface Exec {
  at: number;
  name: string;
  exe: string | null;
  cmdline: string;
}

/** Behaviour the scenario promises; the tests check the written trace against it. */
export interface Expectation {
  /** The actor's load never appears before input has been absent this long (grace: `graceSec` after input). */
  onlyWhenIdleSecAtLeast?: number;
  /** The actor only loads while the screen is locked (or within `graceSec` after the unlock). */
  onlyWhileLocked?: boolean;
  /** Seconds after input (or unlock) within which the load must be gone. */
  graceSec?: number;
  /** The actor already loads while the user is active, before any idle period. */
  loadsWhileActiveFirst?: boolean;
  /** The actor is still loading after the user returns (games, renders). */
  loadsAfterReturn?: boolean;
  /** Inhibitors reported while the actor works (video players). */
  inhibitor?: string;
}

export interface Actor extends ProcSpec {
  role: 'target' | 'lookalike';
  expect?: Expectation;
}

export interface SamplingPlan {
  intervalMs: number;
  /** Typical timer jitter, ms. */
  jitterMs: number;
  /** Chance per sample of a slow tick (a loaded machine delays the sampler). */
  slowTickP: number;
  /** Chance per sample of a gap (samples missing: a stalled sampler, a short suspend). */
  gapP: number;
}

/** Everything needed to write one trace. */
export interface ScenarioPlan {
  host: Host;
  startedAt: string;
  durationMs: number;
  sampling: SamplingPlan;
  timeline: Timeline;
  /** Background processes of the machine (the ordinary desktop). */
  background: ProcSpec[];
  /** The processes the scenario is about: the miner(s) or the look-alikes. */
  actors: Actor[];
  /** An incident on a target must carry the target's own name (see GroundTruth.nameCheck). */
  nameCheck?: boolean;
}

/** One process instance of an actor in the written trace. */
export interface TruthProc {
  key: string;
  role: 'target' | 'lookalike';
  pid: number;
  startT: number;
  name: string;
  exe: string | null;
  /** What it was before it exec'd into `name` (oldest first); absent when it never did. */
  was?: { name: string; exe: string | null }[];
}

/** The ground truth of one generated trace. */
export interface GroundTruth {
  scenario: string;
  family: string;
  label: Label;
  platform: Platform;
  intervalMs: number;
  samples: number;
  processes: { min: number; max: number };
  /** Miner processes: an incident at medium+ on any of them is a detection. */
  targets: TruthProc[];
  /** Benign look-alike processes (they must not be raised at medium+). */
  lookalikes: TruthProc[];
  /**
   * A detection must name the target as `name` (and `exe`): set where a process changed its program
   * (the incident must name the miner, not the script it was) or where the family says so.
   */
  nameCheck?: boolean;
  /** t of the first sample where a target loads (CPU or GPU >= 10%) while the user is idle or locked. */
  firstIdleLoadT: number | null;
  /** Idle or locked spans of the written trace [first sample idle, first sample active again). */
  awaySpans: Span[];
}

export interface Scenario {
  /** Unique, stable: family plus variant index. */
  name: string;
  family: string;
  label: Label;
  /** One line: what this variant is, as a reader of the eval table needs it. */
  summary: string;
  seed: string;
  plan: ScenarioPlan;
}
