/** Pure functions from detector incidents (and the history file) to what the window lists. */
import type { Incident, Severity } from '../../../shared/detection.js';
import { allowlistedBut } from '../detect/allowlist-override.js';
import type { EngineProc } from '../../../shared/engine-types.js';
import type { IncidentQuery, IncidentView } from '../../../shared/ipc.js';
import { processKey } from '../../../shared/identity.js';

export function incidentKey(i: Pick<Incident, 'pid' | 'startT'>): string {
  return processKey({ pid: i.pid, startTimeMs: i.startT });
}

/** The live process an incident is about: same pid, same start (to the millisecond the trace keeps). */
export function liveProcFor(i: Pick<Incident, 'pid' | 'startT'>, procs: readonly EngineProc[]): EngineProc | null {
  for (const p of procs) if (p.pid === i.pid && Math.abs(p.startTimeMs - i.startT) < 1) return p;
  return null;
}

export interface ViewContext {
  reviewed: (key: string) => boolean;
  paused: (key: string) => boolean;
  /** Whether an allowlist entry covers it now (entries added after the incident count too). */
  allowlisted: (i: Incident) => boolean;
  running: (i: Incident) => boolean;
}

export function toView(i: Incident, live: boolean, ctx: ViewContext): IncidentView {
  const key = incidentKey(i);
  // An entry added after the incident was raised covers it now, but excuses no hostile evidence
  // either: the same rule as the detector's, from the reasons the incident kept.
  const covered = i.allowlisted || i.allowlistedBut !== undefined || ctx.allowlisted(i);
  const but = covered ? (i.allowlistedBut ?? allowlistedBut(i.reasons)) : null;
  const view: IncidentView = {
    ...i,
    reasons: i.reasons.map((r) => ({ ...r })),
    allowlisted: covered && but === null,
    key,
    reviewed: ctx.reviewed(key),
    live,
    running: live && ctx.running(i),
    paused: ctx.paused(key),
  };
  if (but !== null) view.allowlistedBut = but;
  else delete view.allowlistedBut;
  return view;
}

export const DEFAULT_INCIDENT_LIMIT = 500;

/** Filters and orders incidents for a query: newest activity first. */
export function queryIncidents(all: readonly IncidentView[], q: IncidentQuery): IncidentView[] {
  const sev = q.severity && q.severity.length > 0 ? new Set<Severity>(q.severity) : null;
  const text = q.text?.trim().toLowerCase() ?? '';
  const out = all.filter((i) => {
    if (sev && !sev.has(i.severity)) return false;
    if (q.includeReviewed === false && i.reviewed) return false;
    if (q.includeAllowlisted === false && i.allowlisted) return false;
    if (q.since !== undefined && i.lastAt < q.since) return false;
    if (q.until !== undefined && i.lastAt > q.until) return false;
    if (text) {
      const hay = `${i.name}\n${i.exe ?? ''}\n${i.cmdline}`.toLowerCase();
      if (!hay.includes(text)) return false;
    }
    return true;
  });
  out.sort((a, b) => b.lastAt - a.lastAt || b.score - a.score || a.pid - b.pid);
  return out.slice(0, q.limit ?? DEFAULT_INCIDENT_LIMIT);
}

/** Open incidents by severity: raised in this run, not reviewed, not allowlisted. */
export function openCounts(views: readonly IncidentView[]): Record<Severity, number> {
  const out: Record<Severity, number> = { low: 0, medium: 0, high: 0 };
  for (const v of views) if (v.live && !v.reviewed && !v.allowlisted) out[v.severity]++;
  return out;
}
