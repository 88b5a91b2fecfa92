import { create } from 'zustand';
import type { EngineSample, EngineSnapshot, SourceStatus } from '../../shared/engine-types.js';
import type { IdlewatchApi } from '../../shared/ipc.js';

export interface LiveState {
  status: 'connecting' | 'live' | 'error';
  error: string | null;
  snapshot: EngineSnapshot | null;
  latest: EngineSample | null;
  sources: SourceStatus[];
}

export const useLive = create<LiveState>(() => ({
  status: 'connecting',
  error: null,
  snapshot: null,
  latest: null,
  sources: [],
}));

/** Subscribes the store to the engine once, at start-up; components only read the store. */
export function connectLive(api: IdlewatchApi | undefined): void {
  if (!api) {
    useLive.setState({ status: 'error', error: 'The Idlewatch engine is not connected to this window.' });
    return;
  }
  api.onSample(({ sample, sources }) => {
    useLive.setState({ status: 'live', latest: sample, sources, error: null });
  });
  api.getSnapshot().then(
    (snapshot) =>
      useLive.setState((s) => ({
        snapshot,
        sources: s.latest ? s.sources : snapshot.sources,
        latest: s.latest ?? snapshot.latest,
        status: s.latest || snapshot.latest ? 'live' : s.status,
      })),
    (e: unknown) => useLive.setState({ status: 'error', error: `Could not reach the engine: ${(e as Error).message}` }),
  );
}
