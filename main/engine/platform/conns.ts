import type { TraceConn } from '../../../shared/trace.js';

/** What a connection source needs to know of each live process. */
export interface ConnProc {
  pid: number;
  startTimeMs: number;
  /** Percent of one core over the last interval. */
  cpu: number;
}

/** A process's connection list as last read; `startTimeMs` guards against pid reuse. */
export interface ConnEntry {
  startTimeMs: number;
  /** Connected sockets, sorted; the same array object for as long as the list is unchanged. */
  conns: TraceConn[];
}

/** The sampler's view of a connection source (Linux: /proc/net; other platforms: none yet). */
export interface ConnSource {
  /**
   * Called once per tick after the process pass. Full passes may read /proc; hot passes must
   * not. Returns the current list per pid (absent: never read, or nothing worth carrying).
   */
  update(
    procs: readonly ConnProc[],
    pass: { full: boolean; watch: readonly number[]; at: number },
  ): ReadonlyMap<number, ConnEntry>;
}

/** Same connections in the same order (lists are kept sorted by connKey). */
export function sameConns(a: readonly TraceConn[], b: readonly TraceConn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.proto !== y.proto || x.remote !== y.remote || x.state !== y.state) return false;
  }
  return true;
}
