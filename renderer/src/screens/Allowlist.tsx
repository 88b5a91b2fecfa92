import type { AllowlistEntry } from '../../../shared/allowlist.js';
import { entryProblem, pathPlatform } from '../../../shared/interpreters.js';
import { type GridColumn, GridTable } from '../components/GridTable.js';
import { LoadError } from '../components/LoadError.js';
import { dateTime, errorMessage, shortHash } from '../lib/format.js';
import { exportAllowlist, importAllowlist, useAllowlist } from '../stores/allowlist.js';
import { openDialog } from '../stores/ui.js';

const ENTRY_COLUMNS: GridColumn[] = [
  { label: 'Executable' },
  { label: 'SHA-256' },
  { label: 'Arguments' },
  { label: 'Added' },
  { label: 'Reason' },
  { label: 'Note' },
  { label: 'Actions', hidden: true },
];

function EntryRow({ e }: { e: AllowlistEntry }) {
  const exeId = `allow-exe-${e.id}`;
  // Entries saved before interpreters needed a pattern are kept (the user's data) but cover nothing.
  const problem = entryProblem(e, pathPlatform(e.exe));
  return (
    <tr data-entry={e.id}>
      <td className="path" id={exeId}>
        {e.exe}
      </td>
      <td>
        {e.sha256 ? (
          <code className="hash" title={e.sha256}>
            {shortHash(e.sha256)}
            <span className="sr-only"> (full: {e.sha256})</span>
          </code>
        ) : (
          <span className="muted">not pinned</span>
        )}
      </td>
      <td>
        {e.args ? (
          <>
            <span className="muted">{e.args.kind === 'glob' ? 'matches' : 'contains'}</span>{' '}
            <code>{e.args.pattern}</code>
          </>
        ) : (
          <span className="muted">any</span>
        )}
        {problem ? (
          <div className="field-error" data-testid="entry-problem" title={problem}>
            {e.args ? 'Pattern too broad' : 'Needs an argument pattern'}: this entry does not apply. {problem}.
          </div>
        ) : null}
      </td>
      <td>{dateTime(e.addedAt)}</td>
      <td>{e.reason || <span className="muted">—</span>}</td>
      <td>{e.note || <span className="muted">—</span>}</td>
      <td>
        <button
          type="button"
          aria-describedby={exeId}
          onClick={() => openDialog({ kind: 'remove-allowlist', entry: e })}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** Trusted executables: what each entry pins, when and why; remove, export, import. */
export function Allowlist() {
  const entries = useAllowlist((s) => s.entries);
  const loaded = useAllowlist((s) => s.loaded);
  const error = useAllowlist((s) => s.error);
  const importResult = useAllowlist((s) => s.importResult);

  return (
    <div className="screen" data-testid="allowlist-page">
      <h2 className="screen-title">Allowlist</h2>
      <p className="muted">
        Idlewatch records allowlisted processes but does not alert about them, unless they show hostile evidence (a
        mining-pool connection or miner marks in the command line), which is always reported as "allowlisted, but…". An
        entry pins a full executable path, its SHA-256 by default, and optionally an argument pattern; never a bare
        name. An interpreter (python, node, java, a shell, PowerShell…) needs an argument pattern naming the script.
      </p>
      <div className="toolbar">
        <button type="button" onClick={() => void exportAllowlist()}>
          Export
        </button>
        <label className="button file-button">
          Import
          <input
            type="file"
            accept=".json,application/json"
            className="file-input"
            onChange={(ev) => {
              const input = ev.currentTarget;
              const file = input.files?.[0];
              if (!file) return;
              file.text().then(
                (text) => importAllowlist(text),
                (e: unknown) =>
                  useAllowlist.setState({
                    importResult: { ok: false, text: `Could not read ${file.name}: ${errorMessage(e)}` },
                  }),
              );
              input.value = '';
            }}
          />
        </label>
      </div>
      {importResult ? (
        importResult.ok ? (
          <p role="status" className="done" data-testid="import-result">
            {importResult.text}
          </p>
        ) : (
          <p role="alert" className="error" data-testid="import-result">
            {importResult.text}
          </p>
        )
      ) : null}
      <LoadError what="the allowlist" error={error} />
      <GridTable
        label="Allowlist entries"
        testId="allowlist-table"
        columns={ENTRY_COLUMNS}
        empty={
          entries.length > 0
            ? null
            : loaded
              ? 'The allowlist is empty. Use Allowlist on a process to trust it.'
              : 'Loading the allowlist…'
        }
      >
        {entries.map((e) => (
          <EntryRow key={e.id} e={e} />
        ))}
      </GridTable>
    </div>
  );
}
