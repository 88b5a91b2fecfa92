/** Allowlist entries, kept current by the engine's allowlist events. */
import { create } from 'zustand';
import type { AllowlistEntry, AllowlistEntryInput } from '../../../shared/allowlist.js';
import { api } from '../api.js';
import { errorMessage, isoDay, plural } from '../lib/format.js';
import { downloadText } from '../lib/download.js';
import { toast } from './toasts.js';

export interface AllowlistState {
  entries: AllowlistEntry[];
  loaded: boolean;
  error: string | null;
  /** The outcome of the last import, shown under the buttons. */
  importResult: { ok: true; text: string } | { ok: false; text: string } | null;
}

export const useAllowlist = create<AllowlistState>(() => ({
  entries: [],
  loaded: false,
  error: null,
  importResult: null,
}));

export function setAllowlist(entries: AllowlistEntry[]): void {
  useAllowlist.setState({ entries, loaded: true, error: null });
}

export function allowlistFailed(error: string): void {
  useAllowlist.setState({ loaded: true, error });
}

export async function addAllowlist(input: AllowlistEntryInput): Promise<boolean> {
  try {
    const entry = await api().addAllowlist(input);
    toast('ok', `Added ${entry.exe} to the allowlist.`);
    return true;
  } catch (e) {
    toast('error', errorMessage(e));
    return false;
  }
}

export async function removeAllowlist(entry: AllowlistEntry): Promise<void> {
  try {
    const removed = await api().removeAllowlist(entry.id);
    if (removed) toast('ok', `Removed ${entry.exe} from the allowlist.`);
    else toast('error', `${entry.exe} was no longer on the allowlist.`);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function exportAllowlist(): Promise<void> {
  try {
    const json = await api().exportAllowlist();
    downloadText(json, `idlewatch-allowlist-${isoDay(Date.now())}.json`, 'application/json');
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function importAllowlist(text: string): Promise<void> {
  try {
    const r = await api().importAllowlist(text, 'merge');
    const parts = [`Imported: ${plural(r.added, 'entry', 'entries')} added, ${r.skipped} skipped.`];
    if (r.pinned > 0)
      parts.push(`${plural(r.pinned, 'entry', 'entries')} pinned to the file's SHA-256 on this machine.`);
    for (const why of r.notPinned) parts.push(`Not pinned: ${why}.`);
    for (const why of r.refused) parts.push(`Refused: ${why}.`);
    useAllowlist.setState({ importResult: { ok: true, text: parts.join(' ') } });
  } catch (e) {
    useAllowlist.setState({ importResult: { ok: false, text: errorMessage(e) } });
  }
}
