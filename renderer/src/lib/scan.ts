/** The deep scan's progress as a percentage, and its findings grouped the way the page lists them. */
import type { ScanFinding, ScanProgress } from '../../../shared/scan.js';

export function scanPercent(p: ScanProgress | null): number {
  if (!p || p.total <= 0) return 0;
  const within = p.phase === 'done' ? 1 : p.phase === 'start' ? 0 : Math.min(1, Math.max(0, p.fraction ?? 0));
  return Math.round(((p.index - 1 + within) / p.total) * 100);
}

export type FindingGroupId = 'high' | 'medium' | 'low' | 'allowlisted';

export const FINDING_GROUPS: readonly { id: FindingGroupId; label: string }[] = [
  { id: 'high', label: 'High' },
  { id: 'medium', label: 'Medium' },
  { id: 'low', label: 'Low' },
  { id: 'allowlisted', label: 'Allowlisted' },
];

/** Non-empty groups in order high, medium, low, then allowlisted (whatever their severity). */
export function groupFindings(
  findings: readonly ScanFinding[],
): { id: FindingGroupId; label: string; findings: ScanFinding[] }[] {
  return FINDING_GROUPS.map((g) => ({
    ...g,
    findings: findings.filter((f) => (g.id === 'allowlisted' ? f.allowlisted : !f.allowlisted && f.severity === g.id)),
  })).filter((g) => g.findings.length > 0);
}

/**
 * The process a finding is about, as "name (pid N)": shown with the finding and read out with each
 * of its action buttons, which would otherwise all say the same "Kill". Null when it names none.
 */
export function findingProcess(f: ScanFinding): string | null {
  if (f.process) return `${f.process.name} (pid ${f.process.pid})`;
  const kill = f.actions.find((a) => a.kind === 'kill');
  if (kill?.kind !== 'kill') return null;
  return kill.exe ? `${kill.exe} (pid ${kill.pid})` : `pid ${kill.pid}`;
}
