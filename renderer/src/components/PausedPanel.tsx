import type { PausedProcess } from '../../../shared/ipc.js';
import { dateTime } from '../lib/format.js';
import { runProcessAction } from '../stores/process-actions.js';
import { useStatus } from '../stores/status.js';

/**
 * The processes Idlewatch paused and has not resumed, each with Resume: a pause is never a trap,
 * whichever screen or incident it was made from. Resume sends back the identity the process had
 * when it was paused; the engine resumes it only if it still matches.
 */
export function PausedPanel() {
  const paused = useStatus((s) => s.status?.paused ?? null);
  if (!paused || paused.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="paused-heading" data-testid="paused-panel">
      <h2 id="paused-heading">Paused by Idlewatch ({paused.length})</h2>
      <p className="muted">These get no CPU or GPU time until you resume or kill them.</p>
      <ul className="paused-list">
        {paused.map((p) => (
          <PausedRow key={`${p.pid}@${p.startTimeMs}`} p={p} />
        ))}
      </ul>
    </section>
  );
}

function PausedRow({ p }: { p: PausedProcess }) {
  const id = `paused-${p.pid}-${p.startTimeMs}`;
  return (
    <li data-paused-pid={p.pid}>
      <span id={id}>
        <b>{p.name}</b> (pid {p.pid}
        {p.user ? `, ${p.user}` : ''}) {p.exe ? <span className="path">{p.exe}</span> : null}{' '}
        <span className="muted">paused {dateTime(p.pausedAt)}</span>
      </span>{' '}
      <button
        type="button"
        aria-describedby={id}
        onClick={() => void runProcessAction('resume', { pid: p.pid, startTimeMs: p.startTimeMs, exe: p.exe })}
      >
        Resume
      </button>
    </li>
  );
}
