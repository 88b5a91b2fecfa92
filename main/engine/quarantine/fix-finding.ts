/**
 * A scan finding's suggested fix, as `idlewatch fix` and the window run it: remove a persistence
 * line, or end a process and quarantine its program. Both go through the quarantine, so every fix
 * can be undone with a restore.
 */
import type { ActionResult, ActionTarget } from '../../../shared/actions.js';
import type { KillQuarantineResult } from '../../../shared/quarantine.js';
import type { RemoveResult, ScanFinding } from '../../../shared/scan.js';
import { isRemovablePersistence, removePersistenceEntry } from '../scan/persistence-remove.js';
import { killAndQuarantine } from './kill-quarantine.js';
import type { QuarantineStore } from './store.js';
import { userWritableReason } from './user-writable.js';

export type FixPlan =
  | { kind: 'remove-persistence'; text: string }
  | { kind: 'kill-quarantine'; text: string }
  | { kind: 'none'; text: string };

export type FixOutcome =
  | { kind: 'remove-persistence'; result: RemoveResult }
  | { kind: 'kill-quarantine'; result: KillQuarantineResult };

/** What fixing a finding would do, in words, or why it cannot be fixed automatically. */
export function planFix(f: ScanFinding): FixPlan {
  if (isRemovablePersistence(f) && f.persistence) {
    return {
      kind: 'remove-persistence',
      text: `remove line ${f.persistence.line} of ${f.persistence.file} (the file as it is now is kept in the quarantine)`,
    };
  }
  const p = f.process;
  if (p && f.actions.some((a) => a.kind === 'kill-quarantine')) {
    const why = userWritableReason(p.exe);
    if (why && p.exe) {
      return {
        kind: 'kill-quarantine',
        text: `end process ${p.pid} (${p.name}) and move its program ${p.exe} into the quarantine`,
      };
    }
  }
  const manual = f.actions.find((a) => a.kind === 'manual');
  if (manual?.kind === 'manual') return { kind: 'none', text: `Idlewatch does not fix this itself: ${manual.text}` };
  if (p) {
    return {
      kind: 'none',
      text: `the program ${p.exe ?? p.name} is not in a folder users can write to, so it is not quarantined; end the process with Kill in the window if it is unwanted`,
    };
  }
  return { kind: 'none', text: 'Idlewatch has no automatic fix for this finding' };
}

export interface FixOptions {
  quarantine: QuarantineStore;
  kill: (target: ActionTarget) => Promise<ActionResult>;
  reportStartedAt?: string | null;
}

/** Runs the plan (the caller has asked the user); null when there is nothing to run. */
export async function fixFinding(f: ScanFinding, opts: FixOptions): Promise<FixOutcome | null> {
  const plan = planFix(f);
  if (plan.kind === 'remove-persistence') {
    const result = await removePersistenceEntry(f, {
      confirm: true,
      quarantine: opts.quarantine,
      reportStartedAt: opts.reportStartedAt,
    });
    return { kind: 'remove-persistence', result };
  }
  if (plan.kind === 'kill-quarantine' && f.process) {
    const p = f.process;
    const result = await killAndQuarantine(
      { pid: p.pid, startTimeMs: p.startTimeMs, exe: p.exe },
      {
        quarantine: opts.quarantine,
        kill: opts.kill,
        sha256: p.sha256,
        origin: { findingId: f.id, reportStartedAt: opts.reportStartedAt ?? null, reason: f.title.slice(0, 2000) },
      },
    );
    return { kind: 'kill-quarantine', result };
  }
  return null;
}
