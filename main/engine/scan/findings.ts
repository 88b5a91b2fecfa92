/**
 * Building scan findings: the process reference with its parent chain, the suggested actions, ids
 * unique within a report, and the severity rules that look across findings (several independent
 * signs on one process are worse than any one of them).
 */
import type { Severity } from '../../../shared/detection.js';
import { identityOf, processKey, walkParents } from '../../../shared/identity.js';
import type {
  PersistenceKind,
  ScanAction,
  ScanFinding,
  ScanPersistenceRef,
  ScanProcessRef,
  ScanRule,
} from '../../../shared/scan.js';
import { isDeleted } from '../detect/provenance.js';
import { userWritableReason } from '../quarantine/user-writable.js';
import type { ScanProc } from './proc-snapshot.js';

const MAX_CHAIN = 32;

export const SEVERITY_ORDER: Record<Severity, number> = { high: 3, medium: 2, low: 1 };

/** Parent, grandparent, … as far as processes are visible; loops (impossible, but /proc is a snapshot) end it. */
export function parentChain(p: ScanProc, byPid: ReadonlyMap<number, ScanProc>): ScanProcessRef['chain'] {
  const walk = walkParents(p.ppid, (pid) => byPid.get(pid), { max: MAX_CHAIN, above: 0, self: p.pid });
  const chain: ScanProcessRef['chain'] = walk.chain.map((a) => ({ pid: a.pid, name: a.name, exe: a.exe }));
  if (walk.missing !== null) chain.push({ pid: walk.missing, name: '(not visible)', exe: null });
  return chain;
}

export function processRef(p: ScanProc, byPid: ReadonlyMap<number, ScanProc>): ScanProcessRef {
  return { ...identityOf(p), sha256: null, chain: parentChain(p, byPid) };
}

/**
 * A finding about a file or folder as a whole (odd, locked, changed), not one line of it: there is no
 * line to remove, so the Remove action never applies; `runAs` is the user it acts for, where known.
 */
export function wholeFileRef(kind: PersistenceKind, file: string, runAs: string | null = null): ScanPersistenceRef {
  return { kind, file, line: null, text: '', command: '', location: null, runAs, fileState: null };
}

/**
 * Kill first (identity-checked by pid + start time), then kill and quarantine the program where it
 * lies in a folder users can write to, then allowlisting when the file can be pinned.
 */
export function processActions(ref: ScanProcessRef): ScanAction[] {
  const actions: ScanAction[] = [{ kind: 'kill', pid: ref.pid, startTimeMs: ref.startTimeMs, exe: ref.exe }];
  if (ref.exe && userWritableReason(ref.exe) !== null) {
    actions.push({ kind: 'kill-quarantine', pid: ref.pid, startTimeMs: ref.startTimeMs, exe: ref.exe });
  }
  if (ref.exe && !isDeleted(ref.exe) && !ref.exe.startsWith('/memfd:')) {
    actions.push({ kind: 'allowlist', exe: ref.exe, sha256: ref.sha256 });
  }
  return actions;
}

export interface NewFinding {
  /** What makes it unique within its rule: `pid@start`, `file:line`. */
  key: string;
  rule: ScanRule;
  severity: Severity;
  title: string;
  evidence: string[];
  process?: ScanProcessRef;
  persistence?: ScanFinding['persistence'];
  actions: ScanAction[];
}

export class FindingSet {
  private readonly list: ScanFinding[] = [];
  private readonly ids = new Set<string>();

  add(f: NewFinding): ScanFinding {
    let id = `${f.rule}:${f.key}`;
    for (let n = 2; this.ids.has(id); n++) id = `${f.rule}:${f.key}#${n}`;
    this.ids.add(id);
    const { key: _key, ...rest } = f;
    const finding: ScanFinding = { id, ...rest, allowlisted: false };
    this.list.push(finding);
    return finding;
  }

  get size(): number {
    return this.list.length;
  }

  all(): ScanFinding[] {
    return this.list;
  }

  /**
   * A process with two or more different kinds of finding (a temp-folder program that also has a
   * pool connection) gets each raised one level, with the others named as evidence.
   */
  corroborate(): void {
    const byProc = new Map<string, ScanFinding[]>();
    for (const f of this.list) {
      if (!f.process || f.rule === 'hidden-process') continue;
      const k = processKey(f.process);
      const group = byProc.get(k);
      if (group) group.push(f);
      else byProc.set(k, [f]);
    }
    for (const group of byProc.values()) {
      const rules = new Set(group.map((f) => f.rule));
      if (rules.size < 2) continue;
      for (const f of group) {
        const others = [...rules].filter((r) => r !== f.rule);
        f.evidence.push(`the same process also has: ${others.map(ruleLabel).join(', ')}`);
        f.severity = f.severity === 'low' ? 'medium' : 'high';
      }
    }
  }

  /** Highest severity first, then by rule and id, so reports compare across runs. */
  sorted(): ScanFinding[] {
    return [...this.list].sort(
      (a, b) =>
        SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
        a.rule.localeCompare(b.rule) ||
        a.id.localeCompare(b.id),
    );
  }
}

const RULE_LABELS: Record<ScanRule, string> = {
  'deleted-executable': 'a deleted executable',
  'temp-folder-executable': 'an executable in a temporary or hidden folder',
  'world-writable-folder': 'an executable in a folder anyone can write',
  'kernel-thread-impostor': 'a kernel-thread name',
  'system-name-impostor': 'a system program name outside the system folder',
  'miner-signature': 'a miner signature',
  'miner-config': 'a miner configuration file',
  'pool-port-connection': 'a connection to a mining-pool port',
  'mining-domain': 'a mining-pool domain',
  'hosts-tamper': 'a changed or removed Idlewatch hosts block',
  'hosts-redirect': 'a redirected security or update site in the hosts file',
  'web-miner': 'a browser miner injected into a served page',
  persistence: 'a suspicious autostart entry',
  'ld-preload': 'a preloaded library',
  'hidden-process': 'a hidden process',
  'huge-pages': 'huge pages reserved (miner tuning)',
  'msr-writes': 'CPU-register writes allowed (miner tuning)',
  'immutable-file': 'a persistence file locked with chattr',
  'ssh-authorized-key': 'an SSH key to review',
  'tool-disabled': 'a monitoring tool disabled or hijacked',
  'keepalive-writable': 'a kept-alive launchd job whose program users can replace',
  'outdated-browser': 'a browser that no longer gets security fixes',
  'os-updates': 'operating-system updates not installed',
  'cached-mining-domain': 'a mining domain in the resolver cache',
};

export function ruleLabel(rule: ScanRule): string {
  return RULE_LABELS[rule];
}
