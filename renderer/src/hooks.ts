/** Derived views of store state shared by several screens. */
import { useEffect, useMemo } from 'react';
import { processKey } from '../../shared/identity.js';
import type { LiveProc } from '../../shared/proc-stream.js';
import { useLive, watchProcs } from './stores/live.js';
import { useStatus } from './stores/status.js';

/** The live processes; the window subscribes to the process stream while a caller is mounted. */
export function useLiveProcs(): LiveProc[] | null {
  useEffect(() => {
    watchProcs(1);
    return () => watchProcs(-1);
  }, []);
  return useLive((s) => s.procs);
}

/** The live processes by `pid@startTimeMs`. */
export function useProcIndex(): Map<string, LiveProc> | null {
  const procs = useLiveProcs();
  return useMemo(() => (procs ? new Map(procs.map((p) => [processKey(p), p])) : null), [procs]);
}

/** Keys of the processes Idlewatch has paused (from the engine status), null until it is known. */
export function usePausedKeys(): Set<string> | null {
  const paused = useStatus((s) => s.status?.paused ?? null);
  return useMemo(() => (paused ? new Set(paused.map(processKey)) : null), [paused]);
}
