/** Live engine data: the latest sample, source health and the bounded chart history. */
import { create } from 'zustand';
import type { EngineSample, EngineSnapshot, HistoryPoint, SourceStatus } from '../../../shared/engine-types.js';
import { appendPoint, mergeHistory, sampleToPoint } from '../lib/history.js';

export interface LiveState {
  phase: 'connecting' | 'live' | 'error' | 'missing';
  error: string | null;
  latest: EngineSample | null;
  sources: SourceStatus[];
  history: HistoryPoint[];
  intervalMs: number | null;
  idleThresholdSec: number | null;
}

export const useLive = create<LiveState>(() => ({
  phase: 'connecting',
  error: null,
  latest: null,
  sources: [],
  history: [],
  intervalMs: null,
  idleThresholdSec: null,
}));

export function liveSample(sample: EngineSample, sources: SourceStatus[]): void {
  useLive.setState((s) => ({
    phase: 'live',
    error: null,
    latest: sample,
    sources,
    history: appendPoint(s.history, sampleToPoint(sample)),
  }));
}

export function liveSnapshot(snapshot: EngineSnapshot): void {
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
