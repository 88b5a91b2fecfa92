import { memo, useMemo } from 'react';
import type { IncidentView } from '../../../shared/ipc.js';
import { useProcIndex, usePausedKeys } from '../hooks.js';
import { usedWhileAway } from '../lib/banner.js';
import { loadSeconds, pct } from '../lib/format.js';
import { useOpenIncidents } from '../stores/incidents.js';
import { type GridColumn, GridTable } from './GridTable.js';
import { LoadError } from './LoadError.js';
import { ProcessActions } from './ProcessActions.js';
import { EvidenceChips, SeverityBadge } from './Severity.js';
import { PriorIdentities } from './PriorIdentities.js';

export const NO_INCIDENTS =
  'No incidents yet. Idlewatch records processes that use your GPU or CPU while you are away.';

const AWAY_COLUMNS: GridColumn[] = [
  { label: 'Process' },
  { label: 'Executable' },
  { label: 'GPU now', num: true },
  { label: 'GPU·s while idle', num: true },
  { label: 'CPU·s while idle', num: true },
  { label: 'Severity' },
  { label: 'Evidence' },
  { label: 'Actions' },
];

const AwayRow = memo(function AwayRow({
  incident: i,
  gpuNow,
  running,
  paused,
}: {
  incident: IncidentView;
  /** GPU % of the live process; undefined when it is not in the latest sample. */
  gpuNow: number | null | undefined;
  running: boolean;
  paused: boolean;
}) {
  const nameId = `away-name-${i.key}`;
  const pidId = `away-pid-${i.key}`;
  return (
    <tr data-key={i.key} className={`sev-row-${i.severity}`}>
      <td>
        <span className="name" id={nameId}>
          {i.name}
        </span>{' '}
        <span className="muted" id={pidId}>
          pid {i.pid}
        </span>
        <div className="tags">
          <span className={running ? 'tag tag-running' : 'tag'}>{running ? 'running' : 'exited'}</span>
          {paused ? <span className="tag tag-paused">paused</span> : null}
          {i.allowlisted ? <span className="tag">allowlisted</span> : null}
          {i.allowlistedBut ? (
            <span className="tag tag-allowlisted-but" data-testid="allowlisted-but">
              {i.allowlistedBut}
            </span>
          ) : null}
        </div>
        <PriorIdentities was={i.was} compact />
      </td>
      <td className="path">{i.exe ?? '(unknown)'}</td>
      <td className="num">{gpuNow === undefined ? '—' : pct(gpuNow)}</td>
      <td className="num">{loadSeconds(i.idleGpuSec, 'GPU')}</td>
      <td className="num">{loadSeconds(i.idleCpuSec, 'CPU')}</td>
      <td>
        <SeverityBadge severity={i.severity} />
      </td>
      <td>
        <EvidenceChips reasons={i.reasons} />
      </td>
      <td>
        <ProcessActions
          proc={{ pid: i.pid, startTimeMs: i.startT, name: i.name, exe: i.exe }}
          paused={paused}
          describedBy={`${nameId} ${pidId}`}
        />
      </td>
    </tr>
  );
});

/** "Used while you were away": unreviewed incidents, most severe first, with their evidence and actions. */
export function AwayTable() {
  const all = useOpenIncidents((s) => s.list);
  const list = useMemo(() => all.filter(usedWhileAway), [all]);
  const others = all.length - list.length;
  const loaded = useOpenIncidents((s) => s.loaded);
  const error = useOpenIncidents((s) => s.error);
  const procs = useProcIndex();
  const pausedKeys = usePausedKeys();

  return (
    <section className="panel" aria-labelledby="away-heading">
      <h2 id="away-heading">Used while you were away</h2>
      <LoadError what="incidents" error={error} />
      <GridTable
        label="Used while you were away"
        testId="away-table"
        columns={AWAY_COLUMNS}
        empty={
          list.length > 0
            ? null
            : !loaded
              ? 'Loading incidents…'
              : others > 0
                ? `Nothing used your GPU or CPU while you were away. ${others} low-severity finding${others === 1 ? '' : 's'} (no load while away) ${others === 1 ? 'is' : 'are'} on the Incidents screen.`
                : NO_INCIDENTS
        }
      >
        {list.map((i) => {
          const proc = procs?.get(i.key);
          return (
            <AwayRow
              key={i.key}
              incident={i}
              gpuNow={proc?.gpu}
              running={i.running && (procs ? proc !== undefined : true)}
              paused={pausedKeys ? pausedKeys.has(i.key) : i.paused}
            />
          );
        })}
      </GridTable>
    </section>
  );
}
