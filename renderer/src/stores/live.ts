/**
 * Live engine data: the latest sample's summary, source health, the bounded chart history, and the
 * live processes while a screen that shows them is visible (the process stream, proc-stream.ts).
 */
import { create } from 'zustand';
import type { HistoryPoint, SampleSummary, SourceStatus, WindowSnapshot } from '../../../shared/engine-types.js';
import type { EventContract } from '../../../shared/ipc.js';
import { type LiveProc, ProcStreamDecoder } from '../../../shared/proc-stream.js';
import { api } from '../api.js';
import { appendPoint, mergeHistory, sampleToPoint } from '../lib/history.js';

export interface LiveState {
  phase: 'connecting' | 'live' | 'error' | 'missing';
  error: string | null;
  latest: SampleSummary | null;
  /** The live processes (strings cut to what the window shows); null until the stream's first keyframe. */
  procs: LiveProc[] | null;
  sources: SourceStatus[];
  history: HistoryPoint[];
  intervalMs: number | null;
  idleThresholdSec: number | null;
}

export const useLive = create<LiveState>(() => ({
  phase: 'connecting',
  error: null,
  latest: null,
  procs: null,
  sources: [],
  history: [],
  intervalMs: null,
  idleThresholdSec: null,
}));

// ---- the process stream: subscribed while a mounted screen shows processes and the window is visible

const decoder = new ProcStreamDecoder();
let watchers = 0;
let visible = true;
let subscribed = false;
let inFlight = false;
let lastResyncAt = 0;

function send(subscribe: boolean): void {
  inFlight = true;
  api()
    .streamProcs(subscribe)
    .catch(() => undefined) // the engine is away: the next sample without processes asks again
    .finally(() => {
      inFlight = false;
    });
}

function update(): void {
  const want = watchers > 0 && visible;
  if (want === subscribed) return;
  subscribed = want;
  decoder.reset();
  send(want);
}

/** Asks for a keyframe: the stream broke (a message missed) or stopped (the engine restarted). */
function resync(): void {
  const now = Date.now();
  if (inFlight || now - lastResyncAt < 2000) return;
  lastResyncAt = now;
  decoder.reset();
  send(true);
}

/** A screen that shows processes mounted (+1) or unmounted (-1). */
export function watchProcs(delta: 1 | -1): void {
  watchers = Math.max(0, watchers + delta);
  update();
}

/** The window was shown or hidden: a hidden window needs no process stream. */
export function setLiveVisible(shown: boolean): void {
  visible = shown;
  update();
}

export function liveSample({ sample, sources, procs }: EventContract['engine:sample']): void {
  let list: LiveProc[] | null = null;
  if (procs) {
    if (decoder.apply(procs)) list = decoder.procs();
    else if (subscribed) resync();
  } else if (subscribed) resync();
  useLive.setState((s) => ({
    phase: 'live',
    error: null,
    latest: sample,
    sources,
    history: appendPoint(s.history, sampleToPoint(sample)),
    procs: list ?? s.procs,
  }));
}

export function liveSnapshot(snapshot: WindowSnapshot): void {
  useLive.setState((s) => ({
    latest: s.latest ?? snapshot.latest,
    sources: s.latest ? s.sources : snapshot.sources,
    history: mergeHistory(snapshot.history, s.history),
    intervalMs: snapshot.intervalMs,
    idleThresholdSec: snapshot.idleThresholdSec,
    phase: s.latest || snapshot.latest ? 'live' : s.phase,
  }));
}

export function liveFailed(error: string): void {
  useLive.setState({ phase: 'error', error });
}
