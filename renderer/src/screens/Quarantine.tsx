import { useEffect } from 'react';
import type { QuarantineItem } from '../../../shared/quarantine.js';
import { type GridColumn, GridTable } from '../components/GridTable.js';
import { LoadError } from '../components/LoadError.js';
import { dateTime, shortHash } from '../lib/format.js';
import { followQuarantine, restoreItem, selectItem, useQuarantine } from '../stores/quarantine.js';
import { openDialog } from '../stores/ui.js';

const COLUMNS: GridColumn[] = [
  { label: 'Removed' },
  { label: 'What' },
  { label: 'File' },
  { label: 'Why' },
  { label: 'By' },
  { label: 'Actions', hidden: true },
];

/** "crontab line", "executable", "hosts file": what the item was, in words. */
export function itemKindText(i: QuarantineItem): string {
  const category = i.category.replace(/-/g, ' ');
  if (i.kind === 'line') return `${category} line`;
  if (i.kind === 'executable') return 'program (executable)';
  return i.category === 'persistence' ? 'file' : `${category} file`;
}

function mode(m: number): string {
  return `0${m.toString(8).padStart(3, '0')}`;
}

function ItemRow({ i, selected }: { i: QuarantineItem; selected: boolean }) {
  const pathId = `q-path-${i.id}`;
  return (
    <tr data-item={i.id} aria-selected={selected}>
      <td>{dateTime(Date.parse(i.at))}</td>
      <td>{itemKindText(i)}</td>
      <td>
        <span className="path" id={pathId}>
          {i.shownPath}
        </span>
        {i.line ? <span className="muted">, line {i.line.number}</span> : null}
      </td>
      <td className="q-reason">{i.reason}</td>
      <td>
        {i.by.user} <span className="muted">({i.by.via === 'cli' ? 'command line' : 'app'})</span>
      </td>
      <td>
        <div className="actions">
          <button
            type="button"
            aria-describedby={pathId}
            aria-expanded={selected}
            onClick={() => selectItem(selected ? null : i.id)}
          >
            {selected ? 'Hide details' : 'Details'}
          </button>
          <button type="button" className="primary" aria-describedby={pathId} onClick={() => void restoreItem(i.id)}>
            Restore
          </button>
          <button
            type="button"
            className="danger"
            aria-describedby={pathId}
            onClick={() => openDialog({ kind: 'delete-quarantine', item: i })}
          >
            Delete for good
          </button>
        </div>
      </td>
    </tr>
  );
}

function Details({ i }: { i: QuarantineItem }) {
  const result = useQuarantine((s) => s.results[i.id]);
  return (
    <section className="panel" aria-labelledby="q-details-heading" data-testid="quarantine-details">
      <h3 id="q-details-heading">
        {itemKindText(i)}: <span className="path">{i.shownPath}</span>
      </h3>
      <dl className="facts">
        <dt>Quarantine id</dt>
        <dd>
          <code>{i.id}</code>
        </dd>
        <dt>File restored to</dt>
        <dd className="path">{i.path}</dd>
        {i.line ? (
          <>
            <dt>Removed line {i.line.number}</dt>
            <dd>
              <pre className="code">{i.line.text}</pre>
            </dd>
          </>
        ) : null}
        <dt>Why</dt>
        <dd>{i.reason}</dd>
        <dt>When and by whom</dt>
        <dd>
          {dateTime(Date.parse(i.at))}, {i.by.user} ({i.by.via === 'cli' ? 'command line' : 'app'})
        </dd>
        <dt>Kept</dt>
        <dd>
          {i.kind === 'line' ? 'the whole file as it was before the line was removed' : 'the whole file'}, {i.size}{' '}
          bytes, SHA-256{' '}
          <code className="hash" title={i.sha256}>
            {shortHash(i.sha256)}
            <span className="sr-only"> (full: {i.sha256})</span>
          </code>
        </dd>
        <dt>Mode and owner</dt>
        <dd>
          {mode(i.mode)}, uid {i.uid}, gid {i.gid}
        </dd>
        <dt>Last modified before removal</dt>
        <dd>{dateTime(i.mtimeMs)}</dd>
        <dt>Restore</dt>
        <dd>
          {i.after
            ? 'puts the file back as it was, only while it is still exactly as Idlewatch left it'
            : 'puts the file back, only where nothing else is in its place'}
        </dd>
        {i.findingId ? (
          <>
            <dt>Scan finding</dt>
            <dd>
              <code>{i.findingId}</code>
            </dd>
          </>
        ) : null}
        {i.importedFrom ? (
          <>
            <dt>Imported from</dt>
            <dd className="path">{i.importedFrom}</dd>
          </>
        ) : null}
      </dl>
      {result ? (
        <p
          role={result.ok ? 'status' : 'alert'}
          className={result.ok ? 'done' : 'error'}
          data-testid="quarantine-result"
        >
          {result.text}
        </p>
      ) : null}
    </section>
  );
}

/** Everything Idlewatch removed, kept so it can be put back: list, details, restore, delete for good. */
export function Quarantine() {
  const listing = useQuarantine((s) => s.listing);
  const error = useQuarantine((s) => s.error);
  const selected = useQuarantine((s) => s.selected);
  const results = useQuarantine((s) => s.results);
  useEffect(() => followQuarantine(), []);
  const items = listing?.items ?? [];
  const shown = items.find((i) => i.id === selected) ?? null;
  // A restore or delete that failed for an item no longer listed still says why.
  const orphanResults = Object.entries(results).filter(([id, r]) => !r.ok && !items.some((i) => i.id === id));

  return (
    <div className="screen" data-testid="quarantine-page">
      <h2 className="screen-title">Quarantine</h2>
      <p className="muted">
        Everything Idlewatch removes is kept here first: a persistence line (with the whole file as it was), a program
        it ended and took away. Restore puts it back byte for byte with its mode, owner and times, and refuses when the
        file changed since, so nothing is overwritten. Delete for good removes the kept copy.
        {listing ? (
          <>
            {' '}
            Kept in <span className="path">{listing.folder}</span>.
          </>
        ) : null}
      </p>
      <LoadError what="the quarantine" error={error} />
      {listing && listing.problems.length > 0 ? (
        <div className="banner banner-warn" role="alert" data-testid="quarantine-problems">
          <h2>Some of the quarantine could not be read</h2>
          <ul>
            {listing.problems.map((p) => (
              <li key={`${p.file}:${p.problem}`}>
                <span className="path">{p.movedTo ?? p.file}</span>: {p.problem}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {orphanResults.map(([id, r]) => (
        <p key={id} role="alert" className="error">
          {r.text}
        </p>
      ))}
      <GridTable
        label="Quarantined items"
        testId="quarantine-table"
        columns={COLUMNS}
        empty={
          items.length > 0
            ? null
            : listing
              ? 'The quarantine is empty. What Idlewatch removes (from the Deep scan page, or idlewatch fix) is kept here.'
              : 'Loading the quarantine…'
        }
      >
        {items.map((i) => (
          <ItemRow key={i.id} i={i} selected={i.id === selected} />
        ))}
      </GridTable>
      {shown ? <Details i={shown} /> : null}
    </div>
  );
}
