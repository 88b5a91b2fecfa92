import { useEffect } from 'react';
import type { Severity } from '../../../shared/detection.js';
import type { IncidentView } from '../../../shared/ipc.js';
import { NO_INCIDENTS } from '../components/AwayTable.js';
import { type GridColumn, GridTable } from '../components/GridTable.js';
import { LoadError } from '../components/LoadError.js';
import { DetailsButton } from '../components/ProcessActions.js';
import { EvidenceChips, SeverityBadge } from '../components/Severity.js';
import { awaySummaryText } from '../lib/banner.js';
import { dateTime } from '../lib/format.js';
import { TIME_RANGES, type TimeRange } from '../lib/incidents.js';
import { SEVERITY_ORDER } from '../lib/severity.js';
import { PriorIdentities } from '../components/PriorIdentities.js';
import {
  loadIncidentHistory,
  reviewIncident,
  setIncidentFilter,
  useAway,
  useIncidentHistory,
} from '../stores/incidents.js';

const INCIDENT_COLUMNS: GridColumn[] = [
  { label: 'Severity' },
  { label: 'Process' },
  { label: 'First seen' },
  { label: 'Last seen' },
  { label: 'Reasons' },
  { label: 'Reviewed' },
  { label: 'Actions' },
];

function AwaySummaryPanel() {
  const summary = useAway((s) => s.summary);
  const loaded = useAway((s) => s.loaded);
  return (
    <section className="panel away-summary" data-testid="away-summary" aria-label="While you were away">
      {summary ? (
        <p>{awaySummaryText(summary)}</p>
      ) : (
        <p className="muted">{loaded ? 'No away period has been summarised yet.' : 'Loading the latest summary…'}</p>
      )}
    </section>
  );
}

function Filters() {
  const filter = useIncidentHistory((s) => s.filter);
  const toggle = (sev: Severity, on: boolean) =>
    setIncidentFilter({
      severities: on ? [...filter.severities, sev] : filter.severities.filter((s) => s !== sev),
    });
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Incident filters">
      <fieldset>
        <legend>Severity</legend>
        {SEVERITY_ORDER.map((sev) => (
          <label key={sev} className="check">
            <input
              type="checkbox"
              checked={filter.severities.includes(sev)}
              onChange={(e) => toggle(sev, e.target.checked)}
            />
            {sev === 'high' ? 'High' : sev === 'medium' ? 'Medium' : 'Low'}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Search</span>
        <input
          type="search"
          value={filter.text}
          placeholder="Process, path or command line"
          onChange={(e) => setIncidentFilter({ text: e.target.value })}
        />
      </label>
      <label className="field">
        <span>Time range</span>
        <select value={filter.range} onChange={(e) => setIncidentFilter({ range: e.target.value as TimeRange })}>
          {TIME_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function IncidentRow({ i }: { i: IncidentView }) {
  const nameId = `incident-name-${i.key}`;
  const pidId = `incident-pid-${i.key}`;
  // Name and pid: two processes may share a name.
  const describedBy = `${nameId} ${pidId}`;
  return (
    <tr data-key={i.key} data-pid={i.pid} className={i.reviewed ? 'reviewed' : undefined}>
      <td>
        <SeverityBadge severity={i.severity} />
      </td>
      <td>
        <span className="name" id={nameId}>
          {i.name}
        </span>{' '}
        <span className="muted" id={pidId}>
          pid {i.pid}
        </span>
        <div className="path">{i.exe ?? '(unknown)'}</div>
        <PriorIdentities was={i.was} compact />
        {i.allowlisted ? <span className="tag">allowlisted</span> : null}
        {i.allowlistedBut ? (
          <div className="tag tag-allowlisted-but" data-testid="allowlisted-but">
            {i.allowlistedBut}
          </div>
        ) : null}
      </td>
      <td>{dateTime(i.firstAt)}</td>
      <td>{dateTime(i.lastAt)}</td>
      <td>
        <EvidenceChips reasons={i.reasons} />
      </td>
      <td>{i.reviewed ? 'Reviewed' : 'Not reviewed'}</td>
      <td>
        <div className="actions">
          <button type="button" aria-describedby={describedBy} onClick={() => void reviewIncident(i.key, !i.reviewed)}>
            {i.reviewed ? 'Mark unreviewed' : 'Mark reviewed'}
          </button>
          <DetailsButton proc={{ pid: i.pid, startTimeMs: i.startT }} describedBy={describedBy} />
        </div>
      </td>
    </tr>
  );
}

/** The incident history with filters, and the latest "While you were away" summary on top. */
export function Incidents() {
  const filter = useIncidentHistory((s) => s.filter);
  const list = useIncidentHistory((s) => s.list);
  const loaded = useIncidentHistory((s) => s.loaded);
  const loading = useIncidentHistory((s) => s.loading);
  const error = useIncidentHistory((s) => s.error);

  useEffect(() => {
    // Typing in the search box waits for a pause; other filters apply at once.
    const t = setTimeout(() => void loadIncidentHistory(), filter.text ? 250 : 0);
    return () => clearTimeout(t);
  }, [filter]);

  const filtered = filter.severities.length > 0 || filter.text.trim() !== '' || filter.range !== 'all';
  return (
    <div className="screen" data-testid="incidents-page">
      <h2 className="screen-title">Incidents</h2>
      <AwaySummaryPanel />
      <Filters />
      <LoadError what="incidents" error={error} />
      <GridTable
        label="Incidents"
        testId="incident-list"
        columns={INCIDENT_COLUMNS}
        busy={loading}
        empty={
          list.length > 0
            ? null
            : !loaded
              ? 'Loading incidents…'
              : filtered
                ? 'No incident matches these filters.'
                : NO_INCIDENTS
        }
      >
        {list.map((i) => (
          <IncidentRow key={i.key} i={i} />
        ))}
      </GridTable>
    </div>
  );
}
