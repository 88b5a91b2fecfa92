/**
 * Rate maths over DRM fdinfo readings: from two readings of one client, how busy it kept each engine;
 * from all clients, how busy each process kept each GPU. Pure functions, no I/O.
 */
import type { DrmFdinfo } from './fdinfo-parse.js';

/** A parsed fdinfo and when it was read (ms, the sampler's clock). */
export interface TimedFdinfo {
  atMs: number;
  info: DrmFdinfo;
}

export type ClientRate =
  /** Percent 0..100 per engine class over the interval (or, old amdgpu format, as the kernel reported). */
  | { kind: 'ok'; engines: Record<string, number> }
  /** No earlier reading of this client: the next tick has a rate. */
  | { kind: 'first' }
  /**
   * A counter went backwards: the client id was reused by a new open file, or the driver reset its
   * counters (GPU reset). The interval is skipped rather than reported as a huge or negative rate.
   */
  | { kind: 'reset' }
  /** The clock did not advance between readings. */
  | { kind: 'no-interval' };

function clampPercent(v: number): number {
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.min(v, 100);
}

function wentBackwards(prev: Record<string, number>, cur: Record<string, number>): boolean {
  for (const [name, v] of Object.entries(cur)) {
    const before = prev[name];
    if (before !== undefined && v < before) return true;
  }
  return false;
}

/** Identical engines in the class; the kernel forbids 0, but a bad value must not divide by zero. */
function capacityOf(info: DrmFdinfo, engine: string): number {
  const c = info.capacity[engine];
  return c !== undefined && c > 0 ? c : 1;
}

/**
 * Per-engine utilisation of one client between two readings. For each class it uses the cycle ratio
 * when the driver gives both `drm-cycles` and `drm-total-cycles` (xe: the only busy measure it has, and
 * immune to our own timer jitter), else busy nanoseconds over the wall-clock interval. Both are divided
 * by the class capacity: `drm-engine-video: 2 s` over 1 s on a class of 2 engines is 100%, not 200%.
 */
export function clientRate(prev: TimedFdinfo | undefined, cur: TimedFdinfo): ClientRate {
  const legacy = Object.entries(cur.info.legacyPercent);
  if (legacy.length > 0) {
    const engines: Record<string, number> = {};
    for (const [name, pct] of legacy) engines[name] = clampPercent(pct);
    return { kind: 'ok', engines };
  }
  if (!prev) return { kind: 'first' };
  const dtMs = cur.atMs - prev.atMs;
  if (!(dtMs > 0)) return { kind: 'no-interval' };

  const a = prev.info;
  const b = cur.info;
  if (
    wentBackwards(a.engines, b.engines) ||
    wentBackwards(a.cycles, b.cycles) ||
    wentBackwards(a.totalCycles, b.totalCycles)
  ) {
    return { kind: 'reset' };
  }

  const engines: Record<string, number> = {};
  const names = new Set([...Object.keys(b.engines), ...Object.keys(b.totalCycles)]);
  for (const name of names) {
    const cap = capacityOf(b, name);
    const c0 = a.cycles[name];
    const c1 = b.cycles[name];
    const t0 = a.totalCycles[name];
    const t1 = b.totalCycles[name];
    if (c0 !== undefined && c1 !== undefined && t0 !== undefined && t1 !== undefined) {
      const dTotal = t1 - t0;
      // The GT clock stood still (device suspended): no elapsed cycles means no measurable busy share.
      if (dTotal > 0) engines[name] = clampPercent(((c1 - c0) / (dTotal * cap)) * 100);
      continue;
    }
    const ns0 = a.engines[name];
    const ns1 = b.engines[name];
    if (ns0 !== undefined && ns1 !== undefined) {
      engines[name] = clampPercent(((ns1 - ns0) / (dtMs * 1e6 * cap)) * 100);
    }
  }
  return { kind: 'ok', engines };
}

/** The busiest engine's percent, or null when no engine was measured. */
export function busiestEngine(engines: Record<string, number>): number | null {
  let max: number | null = null;
  for (const v of Object.values(engines)) if (max === null || v > max) max = v;
  return max;
}

/**
 * Which process a DRM client is attributed to when several hold it. One client is one GPU context: fds
 * dup'ed within a process, inherited across fork, or passed over a socket all share its counters, so it
 * must count once. Rule:
 *  1. the pid it was attributed to last tick, while that pid still holds it: a process's history stays
 *     in one row instead of hopping between holders tick to tick;
 *  2. otherwise the lowest pid. Pids grow with creation (until wrap-around), so that is usually the
 *     holder that opened the device before forking children, and it needs no extra /proc reads.
 *
 * `holders`: client key → pids holding it this tick. `previous`: last tick's result. Returns only keys
 * present in `holders`, so the map never outgrows the live clients.
 */
export function assignOwners(
  holders: ReadonlyMap<string, Iterable<number>>,
  previous: ReadonlyMap<string, number>,
): Map<string, number> {
  const owners = new Map<string, number>();
  for (const [key, pids] of holders) {
    const before = previous.get(key);
    let lowest: number | null = null;
    let keep = false;
    for (const pid of pids) {
      if (pid === before) keep = true;
      if (lowest === null || pid < lowest) lowest = pid;
    }
    if (keep && before !== undefined) owners.set(key, before);
    else if (lowest !== null) owners.set(key, lowest);
  }
  return owners;
}

/** One client's share of one GPU this tick, already attributed to its owning process. */
export interface ClientUse {
  pid: number;
  deviceId: string;
  /** Percent per engine class; null when this tick gave no rate (first reading, reset). */
  engines: Record<string, number> | null;
  memMiB: number | null;
}

/** One process's use of one GPU, summed over its clients. */
export interface ProcessUse {
  pid: number;
  deviceId: string;
  /** Busiest engine class after summing the clients per class, 0..100; null when no client had a rate. */
  util: number | null;
  memMiB: number | null;
  clients: number;
}

/**
 * Sums clients per (process, device). Engines are summed per class before taking the busiest, so a
 * process with one client on gfx (30%) and another on compute (40%) is 40% busy, not 70%; two clients
 * both on gfx at 30% make gfx 60%. The sum is capped at 100 because rounding in separate readings can
 * push it past.
 */
export function sumByProcess(clients: Iterable<ClientUse>): ProcessUse[] {
  interface Acc {
    pid: number;
    deviceId: string;
    engines: Record<string, number> | null;
    memMiB: number | null;
    clients: number;
  }
  const byKey = new Map<string, Acc>();
  for (const c of clients) {
    const key = `${c.pid}\u0000${c.deviceId}`;
    let acc = byKey.get(key);
    if (!acc) {
      acc = { pid: c.pid, deviceId: c.deviceId, engines: null, memMiB: null, clients: 0 };
      byKey.set(key, acc);
    }
    acc.clients += 1;
    if (c.engines) {
      const sum = acc.engines ?? {};
      for (const [name, v] of Object.entries(c.engines)) sum[name] = (sum[name] ?? 0) + v;
      acc.engines = sum;
    }
    if (c.memMiB !== null) acc.memMiB = (acc.memMiB ?? 0) + c.memMiB;
  }
  return [...byKey.values()].map((acc) => {
    const busiest = acc.engines ? busiestEngine(acc.engines) : null;
    return {
      pid: acc.pid,
      deviceId: acc.deviceId,
      util: busiest === null ? null : clampPercent(busiest),
      memMiB: acc.memMiB,
      clients: acc.clients,
    };
  });
}
