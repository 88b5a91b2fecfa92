import type { ProcessKey } from '../../../shared/ipc.js';
import { runProcessAction } from '../stores/process-actions.js';
import { openDetails, openDialog } from '../stores/ui.js';

export interface ProcessRef {
  pid: number;
  startTimeMs: number;
  name: string;
  exe: string | null;
}

/** Opens the details drawer of one process. */
export function DetailsButton({ proc, describedBy }: { proc: ProcessKey; describedBy?: string }) {
  return (
    <button
      type="button"
      aria-describedby={describedBy}
      onClick={() => openDetails({ pid: proc.pid, startTimeMs: proc.startTimeMs })}
    >
      Details
    </button>
  );
}

/** Kill (confirmed), Pause or Resume, Allowlist (confirmed) and Details for one process. */
export function ProcessActions({
  proc,
  paused,
  details = true,
  describedBy,
}: {
  proc: ProcessRef;
  paused: boolean;
  details?: boolean;
  /** Ids of the elements naming the process (name, pid), so each button says which process it acts on. */
  describedBy?: string;
}) {
  const target = { pid: proc.pid, startTimeMs: proc.startTimeMs, exe: proc.exe };
  return (
    <div className="actions">
      <button
        type="button"
        className="danger"
        aria-describedby={describedBy}
        onClick={() => openDialog({ kind: 'kill', target, name: proc.name })}
      >
        Kill
      </button>
      <button
        type="button"
        aria-describedby={describedBy}
        onClick={() => void runProcessAction(paused ? 'resume' : 'pause', target)}
      >
        {paused ? 'Resume' : 'Pause'}
      </button>
      <button
        type="button"
        aria-describedby={describedBy}
        disabled={proc.exe === null}
        title={proc.exe === null ? 'Its executable path is unknown, and a bare name is never allowlisted.' : undefined}
        onClick={() => proc.exe && openDialog({ kind: 'allowlist', exe: proc.exe, sha256: null })}
      >
        Allowlist
      </button>
      {details ? <DetailsButton proc={proc} describedBy={describedBy} /> : null}
    </div>
  );
}
