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

/**
 * Kill (confirmed), Kill and quarantine the program (confirmed; only where the engine says its
 * program is in a user-writable folder), Pause or Resume, Allowlist (confirmed) and Details.
 */
export function ProcessActions({
  proc,
  paused,
  details = true,
  describedBy,
  quarantinable = null,
}: {
  proc: ProcessRef;
  paused: boolean;
  details?: boolean;
  /** Why its program is in a folder users can write to: then Kill and quarantine is offered too. */
  quarantinable?: string | null;
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
      {quarantinable && proc.exe ? (
        <button
          type="button"
          className="danger"
          aria-describedby={describedBy}
          title={`Its program is in a folder users can write to: ${quarantinable}`}
          onClick={() =>
            proc.exe && openDialog({ kind: 'kill-quarantine', target, name: proc.name, exe: proc.exe, findingId: null })
          }
        >
          Kill and quarantine the program
        </button>
      ) : null}
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
