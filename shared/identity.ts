/**
 * Who a process is, in one place for the whole program: collectors, sampler, detector, scan,
 * incidents and the window all speak of processes through these types.
 *
 * Everything here except pid and start time is what the process says about itself (its name,
 * its executable, its arguments): attacker-controlled text, to be shown escaped and bounded, never
 * passed to a shell. A process may also change it by replacing its program (exec), keeping its
 * pid and start time: the key stays, the identity does not.
 */

/** pid alone is reused by the OS; pid + start time (epoch ms) is not. */
export interface ProcessKey {
  pid: number;
  startTimeMs: number;
}

export interface ProcessIdentity extends ProcessKey {
  /** The parent's pid as the process reports it (it can be re-parented; null when unreadable). */
  ppid: number | null;
  /** The kernel's short name (Linux cuts it at 15 characters). */
  name: string;
  /** Full executable path; Linux keeps a ` (deleted)` suffix when the file was removed. Null when unreadable. */
  exe: string | null;
  /** Arguments joined by single spaces. */
  cmdline: string;
  user: string | null;
}

/**
 * The same identity as a trace carries it: the start time in trace milliseconds (`startT`, relative
 * to the recording's start and so comparable with sample times) instead of epoch ms.
 */
export type TraceIdentity = Omit<ProcessIdentity, 'startTimeMs'> & { startT: number };

/** `${pid}@${startTimeMs}`: the one string key of a process, for maps, incidents and the window. */
export function processKey(k: ProcessKey): string {
  return `${k.pid}@${k.startTimeMs}`;
}

/** The inverse of processKey(), or null when `key` is not one. */
export function parseProcessKey(key: string): ProcessKey | null {
  const m = /^(\d+)@(-?\d+)$/.exec(key);
  if (!m) return null;
  const pid = Number(m[1]);
  const startTimeMs = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 && Number.isSafeInteger(startTimeMs) ? { pid, startTimeMs } : null;
}

/** The identity fields of anything that carries them (a reading, a sample row, a scan entry). */
export function identityOf(p: ProcessIdentity): ProcessIdentity {
  return {
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    exe: p.exe,
    cmdline: p.cmdline,
    user: p.user,
    startTimeMs: p.startTimeMs,
  };
}

/** Whether a process replaced its program: same key, different name, executable or arguments. */
export function identityChanged(
  a: Pick<ProcessIdentity, 'name' | 'exe' | 'cmdline'>,
  b: Pick<ProcessIdentity, 'name' | 'exe' | 'cmdline'>,
): boolean {
  return a.name !== b.name || a.exe !== b.exe || a.cmdline !== b.cmdline;
}

/**
 * Walks a parent chain from `ppid` up, nearest first, through `lookup` (whatever table the caller
 * has: a sample's processes, the detector's tracks, a scan snapshot). Stops at a pid not above
 * `above` (init's parent is 0; pass 1 to leave init out), after `max` steps, at a pid seen before (pid
 * reuse can make a loop; `self` seeds that set), or at a parent `lookup` does not know, which it
 * returns as `missing` so the caller can say "(not visible)".
 */
export function walkParents<T extends { ppid: number | null }>(
  ppid: number | null,
  lookup: (pid: number) => T | undefined,
  opts: { max: number; above: number; self?: number },
): { chain: T[]; missing: number | null } {
  const chain: T[] = [];
  const seen = new Set<number>(opts.self === undefined ? [] : [opts.self]);
  let next = ppid;
  while (next !== null && next > opts.above && !seen.has(next) && chain.length < opts.max) {
    seen.add(next);
    const parent = lookup(next);
    if (!parent) return { chain, missing: next };
    chain.push(parent);
    next = parent.ppid;
  }
  return { chain, missing: null };
}
