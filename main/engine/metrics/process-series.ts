import type { Severity } from '../../../shared/detection.js';
import type { EngineProc } from '../../../shared/engine-types.js';
import { processKey } from '../../../shared/identity.js';
import { labelText, shortHash } from './labels.js';

/** Per-process series are kept for the busiest N processes (default)… */
export const DEFAULT_TOP_PROCESSES = 10;
/** …and for processes with an open incident, at most this many more. */
export const MAX_INCIDENT_PROCESSES = 20;

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** One program's series: the processes that share its name and executable hash, summed. */
export interface ProcessSeries {
  name: string;
  exeHash: string;
  /** Fraction of one core (1 = a full core; more for several threads). */
  cpu: number;
  /** Fraction of the busiest GPU, null when no GPU reading covers it. */
  gpu: number | null;
  /** The worst open incident among its processes, null when none. */
  incident: Severity | null;
}

/**
 * The processes that get series: the top `topN` by their larger share (GPU or CPU), among those
 * doing anything, plus those with an open incident (worst first, at most MAX_INCIDENT_PROCESSES).
 * So a scrape has at most topN + MAX_INCIDENT_PROCESSES programs, whatever the machine runs.
 */
export function selectProcesses(
  procs: readonly EngineProc[],
  open: ReadonlyMap<string, Severity>,
  topN: number = DEFAULT_TOP_PROCESSES,
): EngineProc[] {
  const load = (p: EngineProc): number => Math.max(p.cpu, p.gpu ?? 0);
  const busy = procs.filter((p) => load(p) > 0).sort((a, b) => load(b) - load(a));
  const chosen = new Set(busy.slice(0, topN));
  const flagged = procs
    .filter((p) => open.has(processKey(p)) && !chosen.has(p))
    .sort((a, b) => RANK[open.get(processKey(b))!] - RANK[open.get(processKey(a))!] || load(b) - load(a))
    .slice(0, MAX_INCIDENT_PROCESSES);
  return [...chosen, ...flagged];
}

/**
 * The chosen processes as series, one per (name, executable hash): several processes of one
 * program (browser tabs, workers) add up, so a label set is never written twice in one scrape.
 */
export function toSeries(
  chosen: readonly EngineProc[],
  open: ReadonlyMap<string, Severity>,
  hashOf: (exe: string | null) => string | null,
): ProcessSeries[] {
  const out = new Map<string, ProcessSeries>();
  for (const p of chosen) {
    const name = labelText(p.name);
    const exeHash = shortHash(hashOf(p.exe));
    const key = `${name}\u0000${exeHash}`;
    const severity = open.get(processKey(p)) ?? null;
    const s = out.get(key) ?? { name, exeHash, cpu: 0, gpu: null, incident: null };
    s.cpu += p.cpu / 100;
    if (p.gpu !== null) s.gpu = (s.gpu ?? 0) + p.gpu / 100;
    if (severity && (s.incident === null || RANK[severity] > RANK[s.incident])) s.incident = severity;
    out.set(key, s);
  }
  return [...out.values()];
}
