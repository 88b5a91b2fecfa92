/** The "Busy now" table's rows: every live process, filtered and sorted. */
import type { LiveProc } from '../../../shared/proc-stream.js';

/** What a row needs: the stream's live process (an engine row fits too). */
export type BusyProc = Omit<LiveProc, 'cut'>;

export type BusySortKey = 'cpu' | 'gpu' | 'name';
export interface BusySort {
  key: BusySortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_BUSY_SORT: BusySort = { key: 'gpu', dir: 'desc' };

export function isBusy(p: BusyProc): boolean {
  return p.cpu > 0 || (p.gpu ?? 0) > 0 || (p.gpuMemMiB ?? 0) > 0;
}

function compare(a: BusyProc, b: BusyProc, key: BusySortKey): number {
  if (key === 'name') return a.name.localeCompare(b.name) || a.pid - b.pid;
  if (key === 'cpu') return a.cpu - b.cpu || (a.gpu ?? -1) - (b.gpu ?? -1) || b.pid - a.pid;
  return (a.gpu ?? -1) - (b.gpu ?? -1) || a.cpu - b.cpu || b.pid - a.pid;
}

export function busyRows<T extends BusyProc>(
  procs: readonly T[],
  opts: { sort: BusySort; filter: string; showIdle: boolean },
): T[] {
  const text = opts.filter.trim().toLowerCase();
  const rows = procs.filter((p) => {
    if (!opts.showIdle && !isBusy(p)) return false;
    if (!text) return true;
    return (
      p.name.toLowerCase().includes(text) ||
      (p.exe ?? '').toLowerCase().includes(text) ||
      p.cmdline.toLowerCase().includes(text) ||
      (p.user ?? '').toLowerCase().includes(text) ||
      String(p.pid) === text
    );
  });
  const sign = opts.sort.dir === 'asc' ? 1 : -1;
  return rows.sort((a, b) => sign * compare(a, b, opts.sort.key));
}

/** Whether a row must re-render: only the values it shows. */
export function sameRow(a: BusyProc, b: BusyProc): boolean {
  return (
    a.pid === b.pid &&
    a.startTimeMs === b.startTimeMs &&
    a.cpu === b.cpu &&
    a.gpu === b.gpu &&
    a.gpuMemMiB === b.gpuMemMiB &&
    a.name === b.name &&
    a.exe === b.exe &&
    a.user === b.user &&
    a.cmdline === b.cmdline
  );
}
