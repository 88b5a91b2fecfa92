/** Derived views of store state shared by several screens. */
import { useMemo } from 'react';
import type { EngineProc } from '../../shared/engine-types.js';
import { processKey } from '../../shared/identity.js';
import { useLive } from './stores/live.js';
import { useStatus } from './stores/status.js';

/** The latest sample's processes by `pid@startTimeMs`. */
export function useProcIndex(): Map<string, EngineProc> | null {
  const latest = useLive((s) => s.latest);
  return useMemo(() => (latest ? new Map(latest.procs.map((p) => [processKey(p), p])) : null), [latest]);
}

/** Keys of the processes Idlewatch has paused (from the engine status), null until it is known. */
export function usePausedKeys(): Set<string> | null {
  const paused = useStatus((s) => s.status?.paused ?? null);
  return useMemo(() => (paused ? new Set(paused.map(processKey)) : null), [paused]);
}
