import { useEffect, useMemo } from 'react';
import type uPlot from 'uplot';
import type { ProcessDetails as Details, ProcessKey } from '../../../shared/ipc.js';
import { processKey } from '../../../shared/identity.js';
import { CPU_LINE, ChartCard, GPU_LINE } from '../charts/TimeChart.js';
import { usePausedKeys } from '../hooks.js';
import { dateTime, loadSeconds, pct } from '../lib/format.js';
import { clearDetails, loadDetails, useDetails } from '../stores/details.js';
import { closeDetails, useUi } from '../stores/ui.js';
import { Dialog } from './Dialog.js';
import { ProcessActions } from './ProcessActions.js';
import { EvidenceChips, SeverityBadge } from './Severity.js';
import { PriorIdentities } from './PriorIdentities.js';

const SERIES = [CPU_LINE, GPU_LINE];

function DetailsChart({ d }: { d: Details }) {
  const data = useMemo(
    () =>
      [d.series.map((p) => p.at / 1000), d.series.map((p) => p.cpu), d.series.map((p) => p.gpu)] as uPlot.AlignedData,
    [d.series],
  );
  const bands = useMemo(() => d.idleBands.map((b) => ({ ...b, kind: 'idle' as const })), [d.idleBands]);
  if (d.series.length === 0) {
    return (
      <p className="empty">
        No history for this process: Idlewatch keeps the busiest processes of each tick for the last hour.
      </p>
    );
  }
  return (
    <ChartCard
      caption={
        <>
          <span className="swatch swatch-cpu" aria-hidden="true" /> CPU{' '}
          <span className="swatch swatch-gpu" aria-hidden="true" /> GPU over time;{' '}
          <span className="swatch swatch-idle" aria-hidden="true" /> you were away
        </>
      }
      label="This process's CPU and GPU use over time; shaded: you were away"
      series={SERIES}
      data={data}
      bands={bands}
    />
  );
}

function Verdict({ d }: { d: Details }) {
  const v = d.allowlist;
  if (!v) return <p>Not on the allowlist.</p>;
  const but = d.incident?.allowlistedBut;
  if (v.covered) {
    return (
      <p data-testid="allowlist-verdict">
        Allowlisted: an entry for <span className="path">{v.entry.exe}</span> covers it
        {v.entry.reason ? ` (${v.entry.reason})` : ''}.{' '}
        {but
          ? `It is reported all the same: ${but}. An entry vouches for the file, never for a pool connection or miner marks.`
          : 'Idlewatch records it but never alerts.'}
      </p>
    );
  }
  return <p>Not on the allowlist: {v.why}.</p>;
}

function Body({ d, paused }: { d: Details; paused: boolean }) {
  const hashing = useDetails((s) => s.hashing);
  const hashAsked = useDetails((s) => s.hashAsked);
  const key: ProcessKey = { pid: d.pid, startTimeMs: d.startTimeMs };
  const inc = d.incident;
  return (
    <>
      <p className="muted">
        pid {d.pid} · user {d.user ?? 'unknown'} · started {dateTime(d.startTimeMs)} ·{' '}
        {d.proc ? `running: CPU ${pct(d.proc.cpu)}, GPU ${pct(d.proc.gpu)}` : 'exited'}
        {paused ? ' · paused by Idlewatch' : ''}
      </p>
      <ProcessActions
        proc={{ pid: d.pid, startTimeMs: d.startTimeMs, name: d.name, exe: d.exe }}
        paused={paused}
        details={false}
        describedBy="details-title"
        quarantinable={d.quarantinable ?? null}
      />
      <DetailsChart d={d} />

      <h3>Executable</h3>
      <p className="path">{d.exe ?? 'unknown (not readable)'}</p>
      <p>
        SHA-256:{' '}
        {d.sha256 ? (
          <code className="hash">{d.sha256}</code>
        ) : hashAsked && !hashing ? (
          <span>could not be read</span>
        ) : (
          <span className="muted">not computed</span>
        )}{' '}
        {!d.sha256 && d.exe ? (
          <button type="button" disabled={hashing} onClick={() => void loadDetails(key, true)}>
            {hashing ? 'Computing…' : 'Compute SHA-256'}
          </button>
        ) : null}
      </p>

      <h3>Command line</h3>
      <pre className="code">{d.cmdline || '(none)'}</pre>

      {inc?.was && inc.was.length > 0 ? (
        <>
          <h3>Replaced its program</h3>
          <p className="muted">
            Same process (pid and start time), another program: it was started as something else and then became{' '}
            {inc.name}.
          </p>
          <PriorIdentities was={inc.was} />
        </>
      ) : null}

      <h3>Parents</h3>
      {d.parents.length === 0 ? (
        <p className="muted">No parent process is visible.</p>
      ) : (
        <ol className="parents">
          {d.parents.map((p) => (
            <li key={p.pid}>
              <span className="name">{p.name}</span> <span className="muted">pid {p.pid}</span>{' '}
              <span className="path">{p.exe ?? ''}</span>
            </li>
          ))}
        </ol>
      )}

      <h3>Connections</h3>
      {d.conns.length === 0 ? (
        <p className="muted">No open network connections.</p>
      ) : (
        <table className="grid" aria-label="Connections">
          <thead>
            <tr>
              <th scope="col">Protocol</th>
              <th scope="col">Remote</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {d.conns.map((c) => (
              <tr key={`${c.proto}|${c.remote}|${c.state}`}>
                <td>{c.proto}</td>
                <td className="path">{c.remote}</td>
                <td>{c.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Why it was flagged</h3>
      {inc ? (
        <>
          <p>
            <SeverityBadge severity={inc.severity} /> score {inc.score.toFixed(2)} ·{' '}
            {loadSeconds(inc.idleGpuSec, 'GPU')} and {loadSeconds(inc.idleCpuSec, 'CPU')} while you were away · first{' '}
            {dateTime(inc.firstAt)}, last {dateTime(inc.lastAt)}
            {inc.reviewed ? ' · reviewed' : ''}
          </p>
          <EvidenceChips reasons={inc.reasons} />
        </>
      ) : (
        <p className="muted">No incident: Idlewatch has not flagged this process.</p>
      )}

      <h3>Allowlist</h3>
      <Verdict d={d} />
    </>
  );
}

/** The details drawer of one process, opened from any table, the tray or a notification. */
export function ProcessDetailsDrawer() {
  const target = useUi((s) => s.details);
  const targetKey = target ? processKey(target) : null;
  const details = useDetails((s) => s.details);
  const loading = useDetails((s) => s.loading);
  const error = useDetails((s) => s.error);
  const pausedKeys = usePausedKeys();

  // biome-ignore lint/correctness/useExhaustiveDependencies: refetched when the process (its key) changes
  useEffect(() => {
    if (target) void loadDetails(target);
    else clearDetails();
  }, [targetKey]);

  if (!target || !targetKey) return null;
  const paused = pausedKeys ? pausedKeys.has(targetKey) : (details?.paused ?? false);
  return (
    <Dialog label="Process details" onClose={closeDetails} className="dialog drawer" testId="process-details">
      <div className="drawer-head">
        <h2 id="details-title">{details ? details.name : `pid ${target.pid}`}</h2>
        <button type="button" onClick={() => void loadDetails(target)} disabled={loading}>
          Refresh
        </button>
        <button type="button" onClick={closeDetails} data-autofocus>
          Close
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {details ? <Body d={details} paused={paused} /> : loading ? <p className="loading">Loading…</p> : null}
    </Dialog>
  );
}
