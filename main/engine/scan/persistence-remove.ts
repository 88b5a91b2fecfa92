/**
 * Removing one persistence line the scan reported (a crontab job, an ExecStart=, an ld.so.preload
 * entry): only after the user confirmed, and always through the quarantine (main/engine/quarantine/),
 * which keeps the whole file as it was so the removal can be undone. The quarantine re-checks that
 * the file is byte-for-byte what the scan read and that the line is the reported one, reads it only
 * through safe-read's rules after its links are resolved, and swaps it by an atomic rename so cron,
 * systemd or the dynamic loader never see a half-written file.
 */
import type { PersistenceKind, RemoveResult, ScanFinding } from '../../../shared/scan.js';
import type { QuarantineStore } from '../quarantine/store.js';

/** Kinds whose entries are lines of a file that can go without breaking the rest of the file. */
export const REMOVABLE_KINDS: ReadonlySet<PersistenceKind> = new Set([
  'crontab',
  'systemd',
  'autostart',
  'rc-local',
  'shell-rc',
  // A redirecting hosts line; a line of a served page holding an injected miner.
  'hosts',
  'web-script',
  'ld-preload',
  // The tamper step's lines: a sysctl.d huge-pages setting, a modprobe.d/modules-load.d msr line, an SSH key.
  'sysctl',
  'kernel-module',
  'ssh-key',
]);

export type { RemoveResult };

export interface RemoveOptions {
  /** Must be true: the user confirmed this removal. */
  confirm: boolean;
  /** Where the file as it was is kept. */
  quarantine: QuarantineStore;
  /** The report the finding is from (its startedAt), recorded with the quarantine item. */
  reportStartedAt?: string | null;
}

/** Whether a finding's suggested action is removing a line Idlewatch can edit. */
export function isRemovablePersistence(finding: ScanFinding): boolean {
  const p = finding.persistence;
  return !!p && p.file !== null && p.line !== null && !!p.fileState && REMOVABLE_KINDS.has(p.kind);
}

/** Removes the finding's line from its file, keeping the file as it was in the quarantine. */
export async function removePersistenceEntry(finding: ScanFinding, opts: RemoveOptions): Promise<RemoveResult> {
  const p = finding.persistence;
  if (!opts.confirm) return { ok: false, code: 'not-confirmed', reason: 'the removal was not confirmed' };
  if (!p || p.file === null || p.line === null || !p.fileState || !REMOVABLE_KINDS.has(p.kind)) {
    return {
      ok: false,
      code: 'not-removable',
      reason: 'this entry is not a line of a file that Idlewatch can edit; see the suggested manual steps',
    };
  }
  const r = await opts.quarantine.quarantineLine({
    path: p.file,
    line: p.line,
    text: p.text,
    expect: { sha256: p.fileState.sha256, size: p.fileState.size },
    category: p.kind,
    reason: `${finding.title}`.slice(0, 2000),
    findingId: finding.id,
    reportStartedAt: opts.reportStartedAt ?? null,
  });
  if (!r.ok)
    return {
      ok: false,
      code: r.code === 'refused' ? 'changed' : r.code === 'unknown-item' ? 'failed' : r.code,
      reason: r.reason,
    };
  return { ok: true, file: r.item.path, line: p.line, removed: p.text, quarantineId: r.item.id };
}
