/** The deep scan's progress as a percentage, and its findings grouped the way the page lists them. */
import type { ScanFinding, ScanProcess, ScanProgress } from '../../../shared/scan.js';

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

/**
 * What an allowlist entry cannot excuse in a scan (as in the monitor: detect/allowlist-override.ts):
 * an entry vouches for a file, not for a pool connection or miner marks seen now.
 */
const HOSTILE_SCAN_RULES: ReadonlySet<ScanFinding['rule']> = new Set<ScanFinding['rule']>([
  'miner-signature',
  'miner-config',
  'pool-port-connection',
  'mining-domain',
  'cached-mining-domain',
]);

/** "allowlisted, but <finding>" for hostile evidence about an allowlisted program; null otherwise. */
export function scanAllowlistedBut(f: ScanFinding): string | null {
  if (!f.allowlisted || !HOSTILE_SCAN_RULES.has(f.rule)) return null;
  return `allowlisted, but ${f.title.charAt(0).toLowerCase()}${f.title.slice(1)}`;
}

/**
 * Non-empty groups in order high, medium, low, then allowlisted (whatever their severity). Hostile
 * findings of an allowlisted program stay in their severity group: the entry does not silence them.
 */
export function groupFindings(
  findings: readonly ScanFinding[],
): { id: FindingGroupId; label: string; findings: ScanFinding[] }[] {
  const silenced = (f: ScanFinding): boolean => f.allowlisted && scanAllowlistedBut(f) === null;
  return FINDING_GROUPS.map((g) => ({
    ...g,
    findings: findings.filter((f) => (g.id === 'allowlisted' ? silenced(f) : !silenced(f) && f.severity === g.id)),
  })).filter((g) => g.findings.length > 0);
}

/** Who a finding is about: what its card shows above its evidence and its Kill button. */
export interface FindingSubject {
  /** Null when only a pid is known (a hidden process the listing does not show). */
  name: string | null;
  pid: number;
  user: string | null;
  exe: string | null;
}

/**
 * The process a finding is about: its own process reference, else the process its Kill action
 * names, found in the scan's process list by pid and start time (so a card never offers Kill
 * without saying whom), else what the action itself knows. Null for a finding about no process.
 */
export function findingSubject(f: ScanFinding, processes: readonly ScanProcess[] = []): FindingSubject | null {
  if (f.process) return { name: f.process.name, pid: f.process.pid, user: f.process.user, exe: f.process.exe };
  const kill = f.actions.find((a) => a.kind === 'kill');
  if (kill?.kind !== 'kill') return null;
  const p = processes.find((x) => x.pid === kill.pid && x.startTimeMs === kill.startTimeMs);
  if (p) return { name: p.name, pid: p.pid, user: p.user, exe: p.exe ?? kill.exe };
  return { name: null, pid: kill.pid, user: null, exe: kill.exe };
}

/**
 * The subject in one line, "nvhelper (pid 4242, user amy)": shown on the card and read out with
 * each of its action buttons, which would otherwise all say the same "Kill". Null when it names none.
 */
export function findingProcess(f: ScanFinding, processes: readonly ScanProcess[] = []): string | null {
  const s = findingSubject(f, processes);
  if (!s) return null;
  const who = s.user ? `pid ${s.pid}, user ${s.user}` : `pid ${s.pid}`;
  if (s.name) return `${s.name} (${who})`;
  return s.exe ? `${s.exe} (${who})` : who;
}
