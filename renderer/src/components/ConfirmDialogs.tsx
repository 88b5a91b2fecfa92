import { type ReactNode, useState } from 'react';
import type { ArgPattern } from '../../../shared/allowlist.js';
import { entryProblem, interpreterName, pathPlatform } from '../../../shared/interpreters.js';
import { addAllowlist, removeAllowlist } from '../stores/allowlist.js';
import { runProcessAction } from '../stores/process-actions.js';
import { deleteItem, killAndQuarantineFinding, killAndQuarantineProcess } from '../stores/quarantine.js';
import { removePersistence } from '../stores/scan.js';
import { type ConfirmDialog, closeDialog, useUi } from '../stores/ui.js';
import { Dialog } from './Dialog.js';

/**
 * A confirmation of a destructive action: the danger button closes the dialog, then acts; Cancel
 * has the focus first, so Enter on an unexpected dialog destroys nothing.
 */
function ConfirmDanger({
  title,
  testId,
  confirm,
  onConfirm,
  children,
}: {
  title: string;
  testId: string;
  /** The danger button's label. */
  confirm: string;
  onConfirm: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog label={title} onClose={closeDialog} testId={testId}>
      <h2>{title}</h2>
      {children}
      <div className="dialog-buttons">
        <button
          type="button"
          className="danger"
          onClick={() => {
            closeDialog();
            onConfirm();
          }}
        >
          {confirm}
        </button>
        <button type="button" data-autofocus onClick={closeDialog}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

function KillDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'kill' }> }) {
  const { target, name } = dialog;
  return (
    <ConfirmDanger
      title="Kill process"
      testId="kill-dialog"
      confirm="Kill process"
      onConfirm={() => void runProcessAction('kill', target)}
    >
      <p>
        End process {name} (pid {target.pid})? It will be sent SIGTERM, then SIGKILL after 3 s if it does not exit.
        Unsaved work in it is lost.
      </p>
    </ConfirmDanger>
  );
}

/** The second confirmation the engine asks for before killing a process the desktop session depends on. */
function KillSessionDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'kill-session' }> }) {
  return (
    <ConfirmDanger
      title="Kill a process your session needs?"
      testId="kill-session-dialog"
      confirm="Kill it anyway"
      onConfirm={() => void runProcessAction('kill', { ...dialog.target, confirmed: true })}
    >
      <p className="dialog-question">{dialog.reason}</p>
      <p>
        Kill it only if you are sure it is not the real program (for example, you found it running from a folder it
        should not be in). Otherwise close the dialog: nothing has been done.
      </p>
    </ConfirmDanger>
  );
}

function AllowlistDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'allowlist' }> }) {
  // Pinning is the default: a path alone vouches for whatever file is put there later.
  const [pin, setPin] = useState(true);
  const [reason, setReason] = useState('');
  const [patternKind, setPatternKind] = useState<ArgPattern['kind']>('substring');
  const [pattern, setPattern] = useState('');
  const [busy, setBusy] = useState(false);
  const platform = pathPlatform(dialog.exe);
  const interpreter = interpreterName(dialog.exe, platform);
  const args: ArgPattern | null =
    interpreter && pattern.trim() !== '' ? { kind: patternKind, pattern: pattern.trim() } : null;
  // The engine refuses the same; saying it here first lets the user fix the pattern in place.
  const problem = interpreter && args ? entryProblem({ exe: dialog.exe, args }, platform) : null;
  const blocked = interpreter !== null && (args === null || problem !== null);
  return (
    <Dialog label="Add to allowlist" onClose={closeDialog} testId="allowlist-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (blocked) return;
          setBusy(true);
          void addAllowlist({
            exe: dialog.exe,
            ...(pin ? (dialog.sha256 ? { sha256: dialog.sha256 } : { pinHash: true }) : {}),
            ...(args ? { args } : {}),
            reason: reason.trim(),
          }).then((ok) => {
            setBusy(false);
            if (ok) closeDialog();
          });
        }}
      >
        <h2>Add to allowlist</h2>
        <p className="dialog-question">
          Trust {dialog.exe} from now on? Idlewatch will record but not alert about it; a pool connection or miner marks
          are reported all the same, marked "allowlisted, but".
        </p>
        {interpreter ? (
          <div className="interpreter-note" data-testid="interpreter-note">
            <p>
              {interpreter} is an interpreter: it runs whatever script it is given, a miner's too. It can be allowlisted
              only with an argument pattern that names the script.
            </p>
            <div className="form-row">
              <label className="field">
                <span>Arguments</span>
                <select value={patternKind} onChange={(e) => setPatternKind(e.target.value as ArgPattern['kind'])}>
                  <option value="substring">contain</option>
                  <option value="glob">match (glob: * any text, ? one character)</option>
                </select>
              </label>
              <label className="field">
                <span>Argument pattern</span>
                <input
                  type="text"
                  value={pattern}
                  required
                  aria-invalid={problem !== null}
                  aria-describedby="allow-pattern-hint"
                  placeholder="/home/me/jobs/train.py"
                  maxLength={512}
                  onChange={(e) => setPattern(e.target.value)}
                />
              </label>
            </div>
            <p
              id="allow-pattern-hint"
              className={problem ? 'field-error' : 'hint'}
              role={problem ? 'alert' : undefined}
            >
              {problem ?? 'Only command lines with this text (or matching this glob) are trusted.'}
            </p>
          </div>
        ) : null}
        <label className="check">
          <input type="checkbox" checked={pin} onChange={(e) => setPin(e.target.checked)} data-autofocus />
          Pin this exact file (SHA-256)
        </label>
        <p className="hint">
          {pin
            ? dialog.sha256
              ? `Pins ${dialog.sha256}: a changed file is no longer trusted.`
              : 'The file is hashed now: if it changes later, it is no longer trusted.'
            : 'Not pinned: any file put at this path later is trusted too.'}
        </p>
        <label className="field">
          <span>Reason</span>
          <input type="text" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
        </label>
        <div className="dialog-buttons">
          <button type="submit" className="primary" disabled={busy || blocked}>
            Add to allowlist
          </button>
          <button type="button" onClick={closeDialog}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RemovePersistenceDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'remove-persistence' }> }) {
  const p = dialog.finding.persistence;
  const action = dialog.finding.actions.find((a) => a.kind === 'remove-persistence');
  const file = action?.kind === 'remove-persistence' ? action.file : (p?.file ?? '?');
  const line = action?.kind === 'remove-persistence' ? action.line : (p?.line ?? 0);
  return (
    <ConfirmDanger
      title="Remove persistence entry"
      testId="remove-persistence-dialog"
      confirm="Remove line"
      onConfirm={() => void removePersistence(dialog.finding.id)}
    >
      <p className="dialog-question">
        Remove line {line} of {file}? Idlewatch keeps the file as it is now in Quarantine, then deletes only this line;
        you can restore it from the Quarantine page:
      </p>
      {p ? <pre className="code">{p.text}</pre> : null}
    </ConfirmDanger>
  );
}

function RemoveAllowlistDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'remove-allowlist' }> }) {
  return (
    <ConfirmDanger
      title="Remove from allowlist"
      testId="remove-allowlist-dialog"
      confirm="Remove entry"
      onConfirm={() => void removeAllowlist(dialog.entry)}
    >
      <p className="dialog-question">
        Remove {dialog.entry.exe} from the allowlist? Idlewatch will alert about it again.
      </p>
    </ConfirmDanger>
  );
}

function KillQuarantineDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'kill-quarantine' }> }) {
  const { target, name, findingId } = dialog;
  return (
    <ConfirmDanger
      title="Kill and quarantine the program"
      testId="kill-quarantine-dialog"
      confirm="Kill and quarantine"
      onConfirm={() =>
        void (findingId !== null ? killAndQuarantineFinding(findingId) : killAndQuarantineProcess(target))
      }
    >
      <p className="dialog-question">
        End process {name} (pid {target.pid}) and move its program into Quarantine? Idlewatch checks that it is still
        the same process first. The program cannot start again from there; you can restore it from the Quarantine page.
      </p>
      <pre className="code">{dialog.exe}</pre>
    </ConfirmDanger>
  );
}

function DeleteQuarantineDialog({ dialog }: { dialog: Extract<ConfirmDialog, { kind: 'delete-quarantine' }> }) {
  const { item } = dialog;
  return (
    <ConfirmDanger
      title="Delete for good"
      testId="delete-quarantine-dialog"
      confirm="Delete for good"
      onConfirm={() => void deleteItem(item.id)}
    >
      <p className="dialog-question">
        Delete the quarantined copy of {item.shownPath}
        {item.line ? ` (line ${item.line.number})` : ''} for good? It can no longer be restored after this.
      </p>
    </ConfirmDanger>
  );
}

/** The one open confirmation, if any (kill, allowlist, remove a persistence line, remove an entry, quarantine). */
export function ConfirmDialogs() {
  const dialog = useUi((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'kill':
      return <KillDialog dialog={dialog} />;
    case 'kill-session':
      return <KillSessionDialog dialog={dialog} />;
    case 'allowlist':
      return <AllowlistDialog key={dialog.exe} dialog={dialog} />;
    case 'remove-persistence':
      return <RemovePersistenceDialog dialog={dialog} />;
    case 'remove-allowlist':
      return <RemoveAllowlistDialog dialog={dialog} />;
    case 'kill-quarantine':
      return <KillQuarantineDialog dialog={dialog} />;
    case 'delete-quarantine':
      return <DeleteQuarantineDialog dialog={dialog} />;
  }
}
