/** The quarantine as the engine reports it, and what restoring, deleting and kill-and-quarantine did. */
import { create } from 'zustand';
import type { ActionTarget } from '../../../shared/actions.js';
import type { KillQuarantineResult, QuarantineListing } from '../../../shared/quarantine.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/format.js';
import { toast } from './toasts.js';

export interface QuarantineStoreState {
  listing: QuarantineListing | null;
  error: string | null;
  /** The item whose details are shown. */
  selected: string | null;
  /** The last result per item (a refused restore stays shown beside the item). */
  results: Record<string, { ok: boolean; text: string }>;
  /** Kill-and-quarantine results by scan finding id (kept until the next report, like removals). */
  kills: Record<string, KillQuarantineResult>;
}

export const useQuarantine = create<QuarantineStoreState>(() => ({
  listing: null,
  error: null,
  selected: null,
  results: {},
  kills: {},
}));

export function setQuarantine(listing: QuarantineListing): void {
  useQuarantine.setState((s) => ({
    listing,
    error: null,
    selected: s.selected && listing.items.some((i) => i.id === s.selected) ? s.selected : null,
  }));
}

export async function loadQuarantine(): Promise<void> {
  try {
    setQuarantine(await api().listQuarantine());
  } catch (e) {
    useQuarantine.setState({ error: errorMessage(e) });
  }
}

/** Follows the engine's quarantine:changed events while the page is shown; returns the unsubscribe. */
export function followQuarantine(): () => void {
  void loadQuarantine();
  try {
    return api().onQuarantine(setQuarantine);
  } catch {
    return () => {};
  }
}

export function selectItem(id: string | null): void {
  useQuarantine.setState({ selected: id });
}

function remember(id: string, ok: boolean, text: string): void {
  useQuarantine.setState((s) => ({ results: { ...s.results, [id]: { ok, text } } }));
  toast(ok ? 'ok' : 'error', text);
}

export async function restoreItem(id: string): Promise<void> {
  try {
    const r = await api().restoreQuarantine(id);
    if (r.ok) remember(id, true, [r.detail, ...r.notes].join('. '));
    else remember(id, false, r.reason);
  } catch (e) {
    remember(id, false, errorMessage(e));
  }
  await loadQuarantine();
}

export async function deleteItem(id: string): Promise<void> {
  try {
    const r = await api().deleteQuarantine(id);
    if (r.ok) remember(id, true, `Deleted ${id} for good.`);
    else remember(id, false, r.reason);
  } catch (e) {
    remember(id, false, errorMessage(e));
  }
  await loadQuarantine();
}

/** Kill and quarantine from the process details: the engine takes the program as it saw it run. */
export async function killAndQuarantineProcess(target: ActionTarget): Promise<void> {
  try {
    const r = await api().killAndQuarantine(target);
    toast(r.ok ? 'ok' : 'error', r.ok ? r.detail : r.reason);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function killAndQuarantineFinding(findingId: string): Promise<void> {
  try {
    const r = await api().killQuarantineFinding(findingId);
    useQuarantine.setState((s) => ({ kills: { ...s.kills, [findingId]: r } }));
    toast(r.ok ? 'ok' : 'error', r.ok ? r.detail : r.reason);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}
