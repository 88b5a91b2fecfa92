/** The "Busy now" table's rows: every live process, filtered and sorted. */
import type { EngineProc } from '../../../shared/engine-types.js';

export type BusySortKey = 'cpu' | 'gpu' | 'name';
export interface BusySort {
  key: BusySortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_BUSY_SORT: BusySort = { key: 'gpu', dir: 'desc' };

export function isBusy(p: EngineProc): boolean {
  return p.cpu > 0 || (p.gpu ?? 0) > 0 || (p.gpuMemMiB ?? 0) > 0;
}

function compare(a: EngineProc, b: EngineProc, key: BusySortKey): number {
  if (key === 'name') return a.name.localeCompare(b.name) || a.pid - b.pid;
  if (key === 'cpu') return a.cpu - b.cpu || (a.gpu ?? -1) - (b.gpu ?? -1) || b.pid - a.pid;
  return (a.gpu ?? -1) - (b.gpu ?? -1) || a.cpu - b.cpu || b.pid - a.pid;
}

export function busyRows(
  procs: readonly EngineProc[],
  opts: { sort: BusySort; filter: string; showIdle: boolean },
): EngineProc[] {
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
export function sameRow(a: EngineProc, b: EngineProc): boolean {
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
