/** The deep scan as the engine reports it, and what removing persistence lines did. */
import { create } from 'zustand';
import type { ScanState } from '../../../shared/ipc.js';
import type { RemoveResult } from '../../../shared/scan.js';
import { api } from '../api.js';
import { errorMessage, isoDay } from '../lib/format.js';
import { downloadText } from '../lib/download.js';
import { toast } from './toasts.js';

export interface ScanStoreState {
  scan: ScanState | null;
  error: string | null;
  /** Results of removals, by finding id (kept until the next report). */
  removals: Record<string, RemoveResult>;
}

export const useScan = create<ScanStoreState>(() => ({ scan: null, error: null, removals: {} }));

export function setScanState(scan: ScanState): void {
  useScan.setState((s) => ({
    scan,
    error: null,
    removals: s.scan?.finishedAt === scan.finishedAt ? s.removals : {},
  }));
}

export function scanFailed(error: string): void {
  useScan.setState({ error });
}

export async function startScan(): Promise<void> {
  try {
    const started = await api().startScan();
    if (!started) toast('error', 'A deep scan is already running.');
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function cancelScan(): Promise<void> {
  try {
    await api().cancelScan();
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function removePersistence(findingId: string): Promise<void> {
  try {
    const result = await api().removePersistence(findingId);
    useScan.setState((s) => ({ removals: { ...s.removals, [findingId]: result } }));
    if (result.ok) {
      toast(
        'ok',
        `Removed line ${result.line} of ${result.file}. The file as it was is in Quarantine (${result.quarantineId}).`,
      );
    } else toast('error', result.reason);
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

export async function exportScanHtml(): Promise<void> {
  try {
    const html = await api().getScanHtml();
    if (html === null) {
      toast('error', 'There is no scan report to export yet.');
      return;
    }
    downloadText(html, `idlewatch-scan-${isoDay(Date.now())}.html`, 'text/html');
  } catch (e) {
    toast('error', errorMessage(e));
  }
}
