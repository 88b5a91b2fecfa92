/**
 * Incidents: the overview's unreviewed list ("Used while you were away"), the incidents screen's
 * filtered history, and the latest "While you were away" summary. Both lists are fetched once and
 * then kept current by incident events.
 */
import { create } from 'zustand';
import type { AwaySummary } from '../../../shared/detection.js';
import type { IncidentQuery, IncidentView } from '../../../shared/ipc.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/format.js';
import {
  byNewest,
  bySeverityThenNewest,
  DEFAULT_FILTER,
  filterToQuery,
  type IncidentFilter,
  mergeFetched,
  upsertIncident,
} from '../lib/incidents.js';
import { toast } from './toasts.js';

export const OPEN_QUERY: IncidentQuery = { includeReviewed: false };

interface ListState {
  list: IncidentView[];
  loaded: boolean;
  error: string | null;
}

export const useOpenIncidents = create<ListState>(() => ({ list: [], loaded: false, error: null }));

export interface HistoryState extends ListState {
  filter: IncidentFilter;
  query: IncidentQuery;
  loading: boolean;
}

export const useIncidentHistory = create<HistoryState>(() => ({
  list: [],
  loaded: false,
  loading: false,
  error: null,
  filter: DEFAULT_FILTER,
  query: filterToQuery(DEFAULT_FILTER, Date.now()),
}));

export const useAway = create<{ summary: AwaySummary | null; loaded: boolean }>(() => ({
  summary: null,
  loaded: false,
}));

export async function loadOpenIncidents(): Promise<void> {
  try {
    const fetched = await api().listIncidents(OPEN_QUERY);
    useOpenIncidents.setState((s) => ({
      list: mergeFetched(fetched, s.list, OPEN_QUERY, bySeverityThenNewest),
      loaded: true,
      error: null,
    }));
  } catch (e) {
    useOpenIncidents.setState({ loaded: true, error: errorMessage(e) });
  }
}

let historyRequest = 0;

export async function loadIncidentHistory(): Promise<void> {
  const query = filterToQuery(useIncidentHistory.getState().filter, Date.now());
  const request = ++historyRequest;
  useIncidentHistory.setState({ query, loading: true });
  try {
    const list = await api().listIncidents(query);
    if (request !== historyRequest) return;
    useIncidentHistory.setState({ list: [...list].sort(byNewest), loaded: true, loading: false, error: null });
  } catch (e) {
    if (request !== historyRequest) return;
    useIncidentHistory.setState({ loaded: true, loading: false, error: errorMessage(e) });
  }
}

export function setIncidentFilter(patch: Partial<IncidentFilter>): void {
  useIncidentHistory.setState((s) => ({ filter: { ...s.filter, ...patch } }));
}

/** One incident changed (event or the answer to an action): both lists follow. */
export function incidentChanged(incident: IncidentView): void {
  useOpenIncidents.setState((s) => ({ list: upsertIncident(s.list, incident, OPEN_QUERY, bySeverityThenNewest) }));
  useIncidentHistory.setState((s) => ({ list: upsertIncident(s.list, incident, s.query, byNewest) }));
}

export async function reviewIncident(key: string, reviewed: boolean): Promise<void> {
  try {
    const updated = await api().reviewIncident(key, reviewed);
    if (updated) incidentChanged(updated);
    else toast('error', 'That incident is no longer in the history.');
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export function setAwaySummary(summary: AwaySummary | null): void {
  useAway.setState({ summary, loaded: true });
}
