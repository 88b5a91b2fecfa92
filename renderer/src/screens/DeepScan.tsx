import { useId } from 'react';
import type { ScanAction, ScanFinding, ScanProcess } from '../../../shared/scan.js';
import { ScanSoftwareDns } from '../components/ScanSoftwareDns.js';
import { SeverityBadge } from '../components/Severity.js';
import { localDateTime, plural } from '../lib/format.js';
import { findingProcess, findingSubject, groupFindings, scanAllowlistedBut, scanPercent } from '../lib/scan.js';
import { cancelScan, exportScanHtml, startScan, useScan } from '../stores/scan.js';
import { useQuarantine } from '../stores/quarantine.js';
import { navigate, openDialog } from '../stores/ui.js';

function ActionButton({
  finding,
  action,
  describedBy,
}: {
  finding: ScanFinding;
  action: ScanAction;
  /** Ids of the finding's process or file and its title: every finding has the same buttons. */
  describedBy: string;
}) {
  const removal = useScan((s) => s.removals[finding.id]);
  switch (action.kind) {
    case 'kill':
      return (
        <button
          type="button"
          className="danger"
          aria-describedby={describedBy}
          onClick={() =>
            openDialog({
              kind: 'kill',
              target: { pid: action.pid, startTimeMs: action.startTimeMs, exe: action.exe },
              name: finding.process?.name ?? action.exe ?? `pid ${action.pid}`,
            })
          }
        >
          Kill
        </button>
      );
    case 'remove-persistence':
      if (removal?.ok) {
        return (
          <p className="done" data-testid="removal-done">
            Removed line {removal.line} of <span className="path">{removal.file}</span>. The file as it was is in{' '}
            <button type="button" className="link" onClick={() => navigate('quarantine')}>
              Quarantine
            </button>{' '}
            ({removal.quarantineId}), from where it can be restored.
          </p>
        );
      }
      return (
        <>
          <button
            type="button"
            className="danger"
            aria-describedby={describedBy}
            onClick={() => openDialog({ kind: 'remove-persistence', finding })}
          >
            Remove line
          </button>
          {removal && !removal.ok ? <p className="error">{removal.reason}</p> : null}
        </>
      );
    case 'kill-quarantine':
      return <KillQuarantineButton finding={finding} action={action} describedBy={describedBy} />;
    case 'allowlist':
      return (
        <button
          type="button"
          aria-describedby={describedBy}
          onClick={() => openDialog({ kind: 'allowlist', exe: action.exe, sha256: action.sha256 })}
        >
          Allowlist
        </button>
      );
    case 'manual':
      return <p className="manual">{action.text}</p>;
  }
}

/** Offered only where the engine found the program in a folder users can write to. */
function KillQuarantineButton({
  finding,
  action,
  describedBy,
}: {
  finding: ScanFinding;
  action: Extract<ScanAction, { kind: 'kill-quarantine' }>;
  describedBy: string;
}) {
  const exe = action.exe;
  const result = useQuarantine((s) => s.kills[finding.id]);
  if (result?.ok) {
    return (
      <p className="done">
        {result.detail}.{' '}
        <button type="button" className="link" onClick={() => navigate('quarantine')}>
          Open Quarantine
        </button>
      </p>
    );
  }
  return (
    <>
      <button
        type="button"
        className="danger"
        aria-describedby={describedBy}
        onClick={() =>
          openDialog({
            kind: 'kill-quarantine',
            target: { pid: action.pid, startTimeMs: action.startTimeMs, exe },
            name: finding.process?.name ?? exe,
            exe,
            findingId: finding.id,
          })
        }
      >
        Kill and quarantine the program
      </button>
      {result && !result.ok ? <p className="error">{result.reason}</p> : null}
    </>
  );
}

function Finding({ f, processes }: { f: ScanFinding; processes: readonly ScanProcess[] }) {
  const id = useId();
  const titleId = `${id}-title`;
  const processId = `${id}-process`;
  const persistenceId = `${id}-persistence`;
  const process = findingProcess(f, processes);
  const subject = findingSubject(f, processes);
  const describedBy = [process ? processId : null, f.persistence ? persistenceId : null, titleId]
    .filter((x) => x !== null)
    .join(' ');
  return (
    <li className={`finding sev-row-${f.severity}`} data-finding={f.id} data-rule={f.rule}>
      <div className="finding-head">
        <SeverityBadge severity={f.severity} />
        {f.allowlisted ? (
          scanAllowlistedBut(f) ? (
            <span className="tag tag-allowlisted-but">allowlisted, but reported: an entry never excuses this</span>
          ) : (
            <span className="tag">allowlisted</span>
          )
        ) : null}
        <h4 id={titleId}>{f.title}</h4>
      </div>
      {process && subject ? (
        <p className="finding-process" id={processId} data-testid="finding-process">
          Process {subject.name ? <b>{subject.name}</b> : null}
          {subject.name ? ' ' : ''}(pid {subject.pid}
          {subject.user ? `, user ${subject.user}` : ''})
          {subject.exe ? (
            <>
              {' '}
              <span className="path">{subject.exe}</span>
            </>
          ) : null}
        </p>
      ) : null}
      {f.evidence.length > 0 ? (
        <ul className="evidence">
          {f.evidence.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: evidence lines are static text, possibly repeated
            <li key={i}>{line}</li>
          ))}
        </ul>
      ) : null}
      {f.persistence ? (
        <p className="muted" id={persistenceId}>
          {f.persistence.file ? (
            <>
              <span className="path">{f.persistence.file}</span>
              {f.persistence.line !== null ? `, line ${f.persistence.line}` : ''}
            </>
          ) : (
            f.persistence.location
          )}
        </p>
      ) : null}
      {f.actions.length > 0 ? (
        <div className="actions">
          {f.actions.map((a, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a finding's actions are a fixed list
            <ActionButton key={i} finding={f} action={a} describedBy={describedBy} />
          ))}
        </div>
      ) : null}
    </li>
  );
}

function Progress() {
  const progress = useScan((s) => s.scan?.progress ?? null);
  const percent = scanPercent(progress);
  const text = progress ? `Step ${progress.index} of ${progress.total}: ${progress.label}` : 'Starting…';
  return (
    <div className="scan-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label="Scan progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%, ${text}`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p>
        {text}
        {progress?.detail ? <span className="muted"> · {progress.detail}</span> : null}
      </p>
    </div>
  );
}

/** The deep scan: run or cancel it, follow its progress, act on its findings, export the report. */
export function DeepScan() {
  const scan = useScan((s) => s.scan);
  const error = useScan((s) => s.error);
  const running = scan?.running ?? false;
  const report = scan?.report ?? null;

  return (
    <div className="screen" data-testid="scan-page">
      <h2 className="screen-title">Deep scan</h2>
      <p className="muted">
        Checks processes and executables, miner signatures, network connections to mining pools, persistence (autostart,
        scheduled jobs, preload), tampering and miner tuning (huge pages, CPU-register writes, locked files, SSH keys,
        disabled tools), hidden processes, GPUs, browsers, whether browsers and the system get security updates, and
        mining domains in the DNS cache.
      </p>
      <div className="toolbar">
        <button type="button" className="primary" disabled={running} onClick={() => void startScan()}>
          Run deep scan
        </button>
        {running ? (
          <button type="button" onClick={() => void cancelScan()}>
            Cancel
          </button>
        ) : null}
        <button type="button" disabled={!report || running} onClick={() => void exportScanHtml()}>
          Export HTML report
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          Could not read the scan state: {error}
        </p>
      ) : null}
      {!scan && !error ? <p className="loading">Loading…</p> : null}
      {running ? <Progress /> : null}
      {scan?.error && !running ? (
        <p role="alert" className="error" data-testid="scan-error">
          The last scan did not finish: {scan.error}
        </p>
      ) : null}
      {scan && !report && !running ? <p className="empty">No scan has run yet.</p> : null}
      {report ? (
        <>
          <p data-testid="scan-summary">
            {scan?.finishedAt
              ? `Finished ${localDateTime(scan.finishedAt)}`
              : `Started ${localDateTime(Date.parse(report.startedAt))}`}
            , took {(report.durationMs / 1000).toFixed(1)} s: {report.summary.high} high, {report.summary.medium}{' '}
            medium, {report.summary.low} low, {report.summary.allowlisted} allowlisted.
          </p>
          <section className="panel" aria-labelledby="findings-heading">
            <h3 id="findings-heading">Findings</h3>
            {report.findings.length === 0 ? (
              <p className="empty">No findings: nothing suspicious was found.</p>
            ) : (
              groupFindings(report.findings).map((g) => (
                <section key={g.id} aria-labelledby={`group-${g.id}`} data-group={g.id}>
                  <h4 id={`group-${g.id}`} className="group-title">
                    {g.label} ({g.findings.length})
                  </h4>
                  <ul className="findings">
                    {g.findings.map((f) => (
                      <Finding key={f.id} f={f} processes={report.processes} />
                    ))}
                  </ul>
                </section>
              ))
            )}
          </section>
          <section className="panel" aria-labelledby="steps-heading">
            <h3 id="steps-heading">Steps</h3>
            <table className="grid" aria-label="Scan steps">
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Time
                  </th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {report.steps.map((s) => (
                  <tr key={s.id} data-step={s.id}>
                    <td>{s.label}</td>
                    <td className={`step-${s.status}`}>{s.status}</td>
                    <td className="num">{s.durationMs} ms</td>
                    <td>{s.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <ScanSoftwareDns report={report} />
          <section className="panel" aria-labelledby="problems-heading">
            <h3 id="problems-heading">Problems ({report.problems.length})</h3>
            {report.problems.length === 0 ? (
              <p className="muted">The scan could read everything it looked at.</p>
            ) : (
              <ul className="problems">
                {report.problems.map((p, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: problems may repeat; the list is fixed per report
                  <li key={i}>
                    {p.step}: {p.path ? <span className="path">{p.path}</span> : null}
                    {p.path ? ': ' : ''}
                    {p.message}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <p className="muted">{plural(report.processes.length, 'process', 'processes')} examined.</p>
        </>
      ) : null}
    </div>
  );
}
