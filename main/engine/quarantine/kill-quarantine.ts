/**
 * "Kill and quarantine the program": ends a process (with the kill's own identity re-check: pid and
 * start time, and the program it runs) and then moves its executable into the quarantine, so it
 * cannot be started again and can still be put back. Offered only for programs in a user-writable
 * place (user-writable.ts).
 */
import type { ActionResult, ActionTarget } from '../../../shared/actions.js';
import type { KillQuarantineResult } from '../../../shared/quarantine.js';
import type { QuarantineOrigin, QuarantineStore } from './store.js';
import { userWritableReason } from './user-writable.js';

export interface KillQuarantineOptions {
  quarantine: QuarantineStore;
  /** Ends the process after checking it is still the same one (Monitor.kill, or killProcess). */
  kill: (target: ActionTarget) => Promise<ActionResult>;
  /** The executable's SHA-256 as the report saw it: a different file at that path is not taken. */
  sha256?: string | null;
  origin?: Partial<QuarantineOrigin>;
}

export async function killAndQuarantine(
  target: ActionTarget & { exe: string | null },
  opts: KillQuarantineOptions,
): Promise<KillQuarantineResult> {
  const exe = target.exe;
  const why = userWritableReason(exe);
  if (!exe || !why) {
    return {
      ok: false,
      stage: 'refused',
      reason: exe
        ? `${exe} is not in a folder users can write to; Idlewatch quarantines only such programs (use Kill)`
        : 'the process has no program file to quarantine (deleted or in memory only); use Kill',
      kill: null,
    };
  }
  const kill = await opts.kill(target);
  // Gone already is fine: the file is what is left to deal with. Anything else stops here.
  if (!kill.ok && kill.code !== 'gone') {
    return { ok: false, stage: 'kill', reason: `${kill.reason}; the program was not quarantined`, kill };
  }
  const q = await opts.quarantine.quarantineFile({
    path: exe,
    kind: 'executable',
    expect: opts.sha256 ? { sha256: opts.sha256 } : null,
    category: 'executable',
    reason: opts.origin?.reason ?? `killed process ${target.pid} and quarantined its program (${why})`,
    findingId: opts.origin?.findingId ?? null,
    reportStartedAt: opts.origin?.reportStartedAt ?? null,
  });
  if (!q.ok) {
    return {
      ok: false,
      stage: 'quarantine',
      reason: `${kill.ok ? 'the process was ended, but ' : 'the process had already exited, but '}${q.reason}`,
      kill,
    };
  }
  const ended = kill.ok ? kill.detail : `process ${target.pid} had already exited`;
  return { ok: true, kill, item: q.item, detail: `${ended}; ${exe} is in the quarantine as ${q.item.id}` };
}
