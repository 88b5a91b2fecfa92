import { api } from '../api.js';
import { clock, dateTime, errorMessage } from '../lib/format.js';
import { useLive } from '../stores/live.js';
import { dismissProblems, problemId, setStatus, useStatus } from '../stores/status.js';
import { toast } from '../stores/toasts.js';

async function resumeMonitoring(): Promise<void> {
  try {
    setStatus(await api().setPaused(null));
    toast('ok', 'Monitoring resumed.');
  } catch (e) {
    toast('error', errorMessage(e));
  }
}

function untilText(ms: number): string {
  return ms - Date.now() < 86_400_000 ? clock(ms) : dateTime(ms);
}

/** Engine errors, data-file problems (once, dismissible) and paused monitoring, above every screen. */
export function GlobalNotices() {
  const liveError = useLive((s) => (s.phase === 'error' ? s.error : null));
  const status = useStatus((s) => s.status);
  const statusError = useStatus((s) => s.error);
  const dismissed = useStatus((s) => s.dismissed);
  const problems = (status?.problems ?? []).filter((p) => !dismissed.includes(problemId(p)));

  return (
    <>
      {liveError ? (
        <div className="banner banner-bad" role="alert" data-testid="connection-error">
          {liveError}
        </div>
      ) : null}
      {status?.error ? (
        <div className="banner banner-bad" role="alert" data-testid="engine-error">
          {status.error}
        </div>
      ) : null}
      {statusError ? (
        <div className="banner banner-bad" role="alert" data-testid="status-error">
          Could not read the engine status: {statusError}
        </div>
      ) : null}
      {problems.length > 0 ? (
        <div className="banner banner-warn notice" data-testid="data-problems">
          <h2>Some data files could not be read</h2>
          <ul>
            {problems.map((p) => (
              <li key={problemId(p)}>
                <span className="path">{p.file}</span>
                {p.line !== undefined ? `, line ${p.line}` : ''}: {p.problem}.{' '}
                {p.movedTo ? (
                  <>
                    It was moved to <span className="path">{p.movedTo}</span> and defaults are used.
                  </>
                ) : (
                  'It was not moved.'
                )}
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => dismissProblems(problems)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {status?.pausedUntil ? (
        <div className="banner banner-warn notice-row" data-testid="paused-notice">
          <span>Monitoring is paused until {untilText(status.pausedUntil)}.</span>
          <button type="button" className="primary" onClick={() => void resumeMonitoring()}>
            Resume monitoring
          </button>
        </div>
      ) : null}
      {status?.suspended ? (
        <div className="banner" data-testid="suspended-notice">
          The machine is asleep; monitoring continues when it wakes.
        </div>
      ) : null}
    </>
  );
}
