import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useDeferredValue, useMemo, useRef, useState } from 'react';
import { type BusySort, type BusySortKey, busyRows, DEFAULT_BUSY_SORT, sameRow } from '../lib/busy.js';
import { processKey } from '../../../shared/identity.js';
import type { LiveProc } from '../../../shared/proc-stream.js';
import { useLiveProcs } from '../hooks.js';
import { pct } from '../lib/format.js';
import { useLive } from '../stores/live.js';
import { openDetails } from '../stores/ui.js';
import { EmptyRow } from './GridTable.js';

/** Fixed row height (CSS .busy-row matches it), so rows are never measured: no layout thrash. */
const ROW_HEIGHT = 30;
const COLUMNS = 8;

const BusyRow = memo(
  function BusyRow({ proc: p, index }: { proc: LiveProc; index: number }) {
    return (
      <tr className="busy-row" data-pid={p.pid} data-key={processKey(p)} aria-rowindex={index + 2}>
        <td className="num">{p.pid}</td>
        <td className="name">{p.name}</td>
        <td>{p.user ?? '?'}</td>
        <td className="num">{pct(p.gpu)}</td>
        <td className="num">{p.gpuMemMiB !== null ? `${p.gpuMemMiB} MiB` : '—'}</td>
        <td className="num">{pct(p.cpu)}</td>
        <td className="path" title={p.cmdline}>
          {p.exe ?? (p.cmdline === '' ? '(kernel thread)' : '(not readable)')}
        </td>
        <td>
          <button
            type="button"
            className="small"
            aria-label={`Details of ${p.name} (pid ${p.pid})`}
            onClick={() => openDetails({ pid: p.pid, startTimeMs: p.startTimeMs })}
          >
            Details
          </button>
        </td>
      </tr>
    );
  },
  (a, b) => a.index === b.index && sameRow(a.proc, b.proc),
);

function SortHeader({
  label,
  sortKey,
  sort,
  onSort,
  className,
}: {
  label: string;
  sortKey: BusySortKey;
  sort: BusySort;
  onSort: (k: BusySortKey) => void;
  className?: string;
}) {
  const active = sort.key === sortKey;
  return (
    <th
      scope="col"
      className={className}
      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort" onClick={() => onSort(sortKey)}>
        {label}
        <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

/**
 * "Busy now": the live processes, virtualized (only the visible rows exist in the DOM), keyed by
 * pid@startTime and memoised so a row re-renders only when its own values change.
 */
export function BusyTable() {
  const procs = useLiveProcs();
  const unreadable = useLive((s) => s.latest?.unreadable ?? 0);
  // The sample's own count: the stream may still be sending the identities of a burst of new ones.
  const running = useLive((s) => s.latest?.procCount ?? 0);
  const [sort, setSort] = useState<BusySort>(DEFAULT_BUSY_SORT);
  const [filter, setFilter] = useState('');
  const [showIdle, setShowIdle] = useState(false);
  const deferredFilter = useDeferredValue(filter);
  const rows = useMemo(
    () => (procs ? busyRows(procs, { sort, filter: deferredFilter, showIdle }) : []),
    [procs, sort, deferredFilter, showIdle],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => processKey(rows[i]!),
  });
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = Math.max(0, virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0));

  const onSort = (key: BusySortKey) =>
    setSort((s) =>
      s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'name' ? 'asc' : 'desc' },
    );

  return (
    <section className="panel" aria-labelledby="busy-heading">
      <div className="panel-head">
        <h2 id="busy-heading">
          Busy now{' '}
          <span className="muted">
            ({procs ? `${Math.max(running, procs.length)} running, ${rows.length} shown` : 'waiting for a sample'}
            {unreadable > 0 ? `, ${unreadable} could not be read` : ''})
          </span>
        </h2>
        <div className="toolbar">
          <input
            type="search"
            aria-label="Filter processes"
            placeholder="Filter by name, path, user or pid"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <label className="check">
            <input type="checkbox" checked={showIdle} onChange={(e) => setShowIdle(e.target.checked)} />
            Show idle processes
          </label>
        </div>
      </div>
      <div className="virtual-scroll" ref={scroller}>
        <table className="grid procs" aria-label="Busy now" data-testid="busy-table" aria-rowcount={rows.length + 1}>
          <colgroup>
            <col className="c-pid" />
            <col className="c-name" />
            <col className="c-user" />
            <col className="c-num" />
            <col className="c-mem" />
            <col className="c-num" />
            <col />
            <col className="c-btn" />
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col" className="num">
                PID
              </th>
              <SortHeader label="Name" sortKey="name" sort={sort} onSort={onSort} />
              <th scope="col">User</th>
              <SortHeader label="GPU" sortKey="gpu" sort={sort} onSort={onSort} className="num" />
              <th scope="col" className="num">
                GPU mem
              </th>
              <SortHeader label="CPU" sortKey="cpu" sort={sort} onSort={onSort} className="num" />
              <th scope="col">Executable</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <EmptyRow columns={COLUMNS}>
                {!procs
                  ? 'Taking the first sample…'
                  : deferredFilter.trim()
                    ? 'No process matches the filter.'
                    : 'No process used the CPU or GPU in the last interval.'}
              </EmptyRow>
            ) : null}
            {padTop > 0 ? (
              <tr className="spacer">
                <td aria-hidden="true" colSpan={COLUMNS} style={{ height: padTop }} />
              </tr>
            ) : null}
            {items.map((it) => (
              <BusyRow key={it.key} proc={rows[it.index]!} index={it.index} />
            ))}
            {padBottom > 0 ? (
              <tr className="spacer">
                <td aria-hidden="true" colSpan={COLUMNS} style={{ height: padBottom }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </section>
  );
}
