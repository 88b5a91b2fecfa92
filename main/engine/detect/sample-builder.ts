/**
 * Builds small synthetic sample streams: a person who uses the machine, leaves, locks it and
 * comes back, and processes whose load is a function of time and presence. For detector tests and
 * quick experiments; the scenario corpus has its own, richer generator.
 */
import type { Platform, TraceConn, TraceHeader, TraceProc, TraceSample, UserState } from '../../../shared/trace.js';

/**
 * A stretch of the session. `active`: input all along. `away`: no input from its start (state
 * turns idle once the idle threshold passes). `locked`: the screen is locked at its start.
 * `unknown`: no idle source.
 */
export interface Segment {
  kind: 'active' | 'away' | 'locked' | 'unknown';
  sec: number;
  /** Idle inhibitors held during the segment. */
  inhibitors?: string[];
}

/** What a load function sees at each sample. */
export interface LoadContext {
  t: number;
  state: UserState;
  /** Seconds since the last input (null when unknown). */
  idleSec: number | null;
  /** The user is idle or locked. */
  away: boolean;
  /** Ms since the current away/locked segment began (no input), or null while active. */
  awayMs: number | null;
  /** Ms since the user last came back, or null before any return. */
  backMs: number | null;
}

export interface SimProc {
  pid: number;
  name: string;
  exe: string | null;
  cmdline?: string;
  user?: string | null;
  ppid?: number;
  /** Start time (trace ms); defaults to before the recording. */
  startT?: number;
  /** Lives from..to (trace ms); defaults to the whole stream. */
  from?: number;
  to?: number;
  load?: (c: LoadContext) => { cpu?: number; gpu?: number | null };
  conns?: TraceConn[];
  /** The process replaces its program at these times (trace ms): same pid and start, new identity. */
  execs?: { at: number; name: string; exe: string | null; cmdline?: string }[];
}

export interface StreamOptions {
  platform?: Platform;
  cpuCores?: number;
  intervalMs?: number;
  idleThresholdSec?: number;
  session: Segment[];
  procs: SimProc[];
  /** Sample times to drop (a stalled sampler): [from, to) in trace ms. */
  gaps?: { from: number; to: number }[];
}

export interface Stream {
  header: TraceHeader;
  samples: TraceSample[];
}

/** Builds the header and every sample of a synthetic session. */
export function buildStream(o: StreamOptions): Stream {
  const intervalMs = o.intervalMs ?? 1000;
  const threshold = o.idleThresholdSec ?? 60;
  const header: TraceHeader = {
    format: 'idlewatch-trace',
    version: 1,
    startedAt: '2026-11-26T21:00:00.000Z',
    intervalMs,
    idleThresholdSec: threshold,
    host: {
      platform: o.platform ?? 'linux',
      cpuCores: o.cpuCores ?? 8,
      gpus: [{ id: '0', vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3080', memoryMiB: 10240 }],
    },
  };
  const total = o.session.reduce((n, s) => n + s.sec * 1000, 0);
  const samples: TraceSample[] = [];
  const seen = new Set<number>();
  let backAt: number | null = null;
  for (let t = 0; t <= total; t += intervalMs) {
    if (o.gaps?.some((g) => t >= g.from && t < g.to)) continue;
    let acc = 0;
    let seg: Segment = o.session[o.session.length - 1] ?? { kind: 'active', sec: 0 };
    let segStart = 0;
    for (const s of o.session) {
      if (t < acc + s.sec * 1000) {
        seg = s;
        segStart = acc;
        break;
      }
      acc += s.sec * 1000;
    }
    let state: UserState;
    let idleSec: number | null;
    if (seg.kind === 'unknown') {
      state = 'unknown';
      idleSec = null;
    } else if (seg.kind === 'active') {
      if (backAt === null || backAt < segStart) backAt = segStart;
      state = 'active';
      idleSec = 0;
    } else {
      // The last input was when the user left: the start of the first away or locked segment.
      idleSec = (t - leftAt(o.session, segStart)) / 1000;
      state = seg.kind === 'locked' ? 'locked' : idleSec >= threshold ? 'idle' : 'active';
    }
    const away = state === 'idle' || state === 'locked';
    const ctx: LoadContext = {
      t,
      state,
      idleSec,
      away,
      awayMs: seg.kind === 'away' || seg.kind === 'locked' ? t - segStart : null,
      backMs: backAt !== null && seg.kind === 'active' ? t - backAt : null,
    };
    const procs: TraceProc[] = [];
    for (const p of o.procs) {
      const from = p.from ?? Number.NEGATIVE_INFINITY;
      const to = p.to ?? Number.POSITIVE_INFINITY;
      if (t < from || t >= to) {
        if (t >= to) seen.delete(p.pid);
        continue;
      }
      const entry: TraceProc = { pid: p.pid };
      if (!seen.has(p.pid)) {
        seen.add(p.pid);
        entry.ppid = p.ppid ?? 1;
        entry.name = p.name;
        entry.exe = p.exe;
        entry.cmdline = p.cmdline ?? p.exe ?? '';
        entry.user = p.user === undefined ? 'ana' : p.user;
        entry.startT = p.startT ?? (Number.isFinite(from) ? from : -3_600_000);
        if (p.conns) entry.conns = p.conns;
      }
      // As the recorder does: the new identity goes out on the first sample after the exec.
      const ex = p.execs?.find((e) => e.at <= t && e.at > t - intervalMs && entry.name === undefined);
      if (ex) {
        entry.name = ex.name;
        entry.exe = ex.exe;
        entry.cmdline = ex.cmdline ?? ex.exe ?? '';
        entry.user = p.user === undefined ? 'ana' : p.user;
      }
      const l = p.load?.(ctx);
      if (l?.cpu) entry.cpu = l.cpu;
      if (l?.gpu) entry.gpu = l.gpu;
      procs.push(entry);
    }
    const user: TraceSample['user'] = { state, idleSec };
    if (seg.inhibitors && seg.inhibitors.length > 0) user.inhibitors = seg.inhibitors;
    samples.push({ t, user, system: { cpu: 10, gpus: [{ id: '0', util: null, memUsedMiB: null }] }, procs });
  }
  return { header, samples };
}

/** Start of the run of away/locked segments that contains the segment starting at `segStart`. */
function leftAt(session: Segment[], segStart: number): number {
  let acc = 0;
  let runStart = 0;
  let prevAway = false;
  for (const s of session) {
    const away = s.kind === 'away' || s.kind === 'locked';
    if (away && !prevAway) runStart = acc;
    if (acc === segStart) return away ? runStart : acc;
    prevAway = away;
    acc += s.sec * 1000;
  }
  return runStart;
}

/** A deterministic wobble in [-1, 1] (so tests need no random numbers). */
export function wobble(t: number, seed = 1): number {
  const x = Math.sin(t * 0.000_913 * seed + seed) * 43_758.545_3;
  return 2 * (x - Math.floor(x)) - 1;
}
