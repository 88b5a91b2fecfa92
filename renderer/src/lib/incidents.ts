/** Incident lists: the query a filter means, whether an incident matches it, and merging live updates. */
import type { Severity } from '../../../shared/detection.js';
import type { IncidentQuery, IncidentView } from '../../../shared/ipc.js';
import { severityRank } from './severity.js';

export type TimeRange = 'hour' | 'day' | 'week' | 'all';

export const TIME_RANGES: readonly { id: TimeRange; label: string; ms: number | null }[] = [
  { id: 'hour', label: 'Last hour', ms: 3_600_000 },
  { id: 'day', label: 'Last 24 hours', ms: 86_400_000 },
  { id: 'week', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: 'all', label: 'All', ms: null },
];

export interface IncidentFilter {
  severities: Severity[];
  text: string;
  range: TimeRange;
}

export const DEFAULT_FILTER: IncidentFilter = { severities: [], text: '', range: 'all' };

export function filterToQuery(f: IncidentFilter, now: number): IncidentQuery {
  const q: IncidentQuery = { includeReviewed: true };
  if (f.severities.length > 0) q.severity = [...f.severities];
  const text = f.text.trim();
  if (text) q.text = text;
  const ms = TIME_RANGES.find((r) => r.id === f.range)?.ms ?? null;
  if (ms !== null) q.since = now - ms;
  return q;
}

/** The engine's own matching rules for a query, applied to an incident that arrived as an event. */
export function matchesQuery(i: IncidentView, q: IncidentQuery): boolean {
  if (q.severity && q.severity.length > 0 && !q.severity.includes(i.severity)) return false;
  if (q.includeReviewed === false && i.reviewed) return false;
  if (q.includeAllowlisted === false && i.allowlisted) return false;
  if (q.since !== undefined && i.lastAt < q.since) return false;
  if (q.until !== undefined && i.lastAt > q.until) return false;
  if (q.text) {
    const t = q.text.toLowerCase();
    if (![i.name, i.exe ?? '', i.cmdline].some((s) => s.toLowerCase().includes(t))) return false;
  }
  return true;
}

export function byNewest(a: IncidentView, b: IncidentView): number {
  return b.lastAt - a.lastAt;
}

export function bySeverityThenNewest(a: IncidentView, b: IncidentView): number {
  return severityRank(b.severity) - severityRank(a.severity) || b.lastAt - a.lastAt;
}

/** The list after one incident changed: replaced, added, or dropped when it no longer matches. */
export function upsertIncident(
  list: readonly IncidentView[],
  inc: IncidentView,
  q: IncidentQuery,
  order: (a: IncidentView, b: IncidentView) => number,
): IncidentView[] {
  const rest = list.filter((i) => i.key !== inc.key);
  if (!matchesQuery(inc, q)) return rest.length === list.length ? (list as IncidentView[]) : rest;
  rest.push(inc);
  return rest.sort(order);
}

/** A fetched list merged with incidents that arrived as events meanwhile (the later one wins). */
export function mergeFetched(
  fetched: readonly IncidentView[],
  current: readonly IncidentView[],
  q: IncidentQuery,
  order: (a: IncidentView, b: IncidentView) => number,
): IncidentView[] {
  const byKey = new Map(fetched.map((i) => [i.key, i]));
  for (const i of current) {
    const f = byKey.get(i.key);
    if (!f || i.lastAt > f.lastAt) {
      if (matchesQuery(i, q)) byKey.set(i.key, i);
    }
  }
  return [...byKey.values()].sort(order);
}
