/** Builds the details drawer's view of one process from what the engine already holds in memory. */
import type { EngineProc, HistoryPoint } from '../../../shared/engine-types.js';
import { walkParents } from '../../../shared/identity.js';
import type { ProcessDetails, ProcessKey, ProcessSeriesPoint } from '../../../shared/ipc.js';
import type { TraceConn } from '../../../shared/trace.js';

/** The parent chain as far as the latest sample shows it (nearest first; stops at pid 1 or a loop). */
export function parentChain(proc: Pick<EngineProc, 'ppid'>, procs: readonly EngineProc[]): ProcessDetails['parents'] {
  const byPid = new Map<number, EngineProc>();
  for (const p of procs) byPid.set(p.pid, p);
  // Init's parent is 0 in every pid namespace, so the walk ends at pid 1.
  const { chain, missing } = walkParents(proc.ppid, (pid) => byPid.get(pid), { max: 64, above: 0 });
  const out: ProcessDetails['parents'] = chain.map((p) => ({ pid: p.pid, name: p.name, exe: p.exe }));
  if (missing !== null) out.push({ pid: missing, name: '(not visible)', exe: null });
  return out;
}

/** The process's own points in the history (it appears in a tick's top list when it was busy then). */
export function processSeries(key: ProcessKey, history: readonly HistoryPoint[]): ProcessSeriesPoint[] {
  const out: ProcessSeriesPoint[] = [];
  for (const h of history) {
    const t = h.top.find((x) => x.pid === key.pid && Math.abs(x.startTimeMs - key.startTimeMs) < 1);
    // Absent from a tick's top list means it was not among the busiest: shown as zero load.
    out.push({ at: h.at, userState: h.userState, cpu: t ? t.cpu : 0, gpu: t ? t.gpu : null });
  }
  return out;
}

/** Contiguous idle or locked stretches of the history, for shading charts. */
export function idleBands(history: readonly HistoryPoint[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let from: number | null = null;
  let last = 0;
  for (const h of history) {
    const away = h.userState === 'idle' || h.userState === 'locked';
    if (away && from === null) from = h.at;
    if (!away && from !== null) {
      out.push({ from, to: h.at });
      from = null;
    }
    last = h.at;
  }
  if (from !== null) out.push({ from, to: last });
  return out;
}

export function connsOf(proc: EngineProc | null): TraceConn[] {
  const c = (proc as (EngineProc & { conns?: TraceConn[] }) | null)?.conns;
  return Array.isArray(c) ? c.map((x) => ({ ...x })) : [];
}

/**
 * A process's CPU and GPU seconds while the user was away, from the history's per-tick top lists
 * (a tick where it was not among the busiest counts as zero, so this is a lower bound).
 */
export function awayLoad(
  pid: number,
  history: readonly HistoryPoint[],
  intervalMs: number,
): { cpuSec: number; gpuSec: number; overSec: number } {
  let cpuSec = 0;
  let gpuSec = 0;
  const stepSec = intervalMs / 1000;
  for (const h of history) {
    if (h.userState !== 'idle' && h.userState !== 'locked') continue;
    const t = h.top.find((x) => x.pid === pid);
    if (!t) continue;
    cpuSec += (t.cpu / 100) * stepSec;
    gpuSec += ((t.gpu ?? 0) / 100) * stepSec;
  }
  const first = history[0];
  const last = history[history.length - 1];
  const overSec = first && last ? Math.round((last.at - first.at) / 1000) : 0;
  return { cpuSec: Math.round(cpuSec * 10) / 10, gpuSec: Math.round(gpuSec * 10) / 10, overSec };
}
