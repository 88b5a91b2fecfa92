/**
 * What the scan concludes about one process from its executable, its command line and its
 * connections. The detector's rules (detect/provenance.ts, detect/identity.ts) decide; this turns
 * their verdicts into scan findings with a severity and evidence.
 */
import type { Severity } from '../../../shared/detection.js';
import type { ScanRule } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { minerSignature } from '../detect/identity.js';
import { kernelThreadImpostor, systemNameImpostor } from '../detect/provenance.js';
import { deletedFinding, provenanceEvidence } from '../detect/provenance-evidence.js';
import { POOL_PORTS } from '../detect/signatures.js';
import { formatEndpoint, type ProcConnection } from '../platform/linux/proc-net.js';
import { locationFindings, type WorldWritableDirs } from './path-rules.js';
import type { ScanProc } from './proc-snapshot.js';

export interface ProcIssue {
  rule: ScanRule;
  severity: Severity;
  title: string;
  evidence: string[];
}

/**
 * Step 1: where the program runs from and what it calls itself, weighed by the detector's own
 * table (detect/provenance-evidence.ts): the monitor, replay and the scan give one process one
 * severity. A kind worth less than an incident on its own (an installed program an update
 * replaced) is no finding here either, as it raises no incident in the monitor.
 */
export function executableIssues(p: ScanProc, platform: Platform, writable: WorldWritableDirs | null): ProcIssue[] {
  if (p.kernelThread) return [];
  const exe = p.exe;
  const locations = locationFindings(exe, platform);
  const items = provenanceEvidence(
    {
      exe,
      locations,
      deleted: deletedFinding(exe, platform),
      kernelImpostor: kernelThreadImpostor(
        { pid: p.pid, ppid: p.ppid, name: p.name, exe: p.exe, cmdline: p.cmdline },
        platform,
      ),
      systemImpostor: systemNameImpostor({ name: p.name, exe: p.exe }, platform),
      worldWritableDir: locations.length === 0 && writable ? writable.check(exe) : null,
    },
    false,
  );
  const out: ProcIssue[] = [];
  for (const item of items) {
    if (item.severity === null) continue;
    out.push({
      rule: item.rule,
      severity: item.severity,
      title: item.detail.charAt(0).toUpperCase() + item.detail.slice(1),
      evidence: exe && item.rule !== 'deleted-executable' ? [`executable: ${exe}`, item.why] : [item.why],
    });
  }
  return out;
}

/** Step 2: the command line against the miner signatures. */
export function signatureIssue(p: ScanProc, platform: Platform): ProcIssue | null {
  if (p.kernelThread) return null;
  const sig = minerSignature(
    { pid: p.pid, ppid: p.ppid, name: p.name, exe: p.exe, cmdline: p.cmdline, user: p.user, startT: p.startTimeMs },
    platform,
  );
  if (!sig) return null;
  const severity: Severity = sig.strength === 'strong' ? 'high' : sig.strength === 'name' ? 'medium' : 'low';
  return {
    rule: 'miner-signature',
    severity,
    title: `Miner signature: ${sig.detail}`,
    evidence: [sig.detail],
  };
}

const LIVE_STATES = new Set(['ESTABLISHED', 'SYN_SENT']);

/** Step 3: open TCP connections to the ports mining pools listen on. */
export function poolPortConnections(conns: readonly ProcConnection[]): ProcConnection[] {
  return conns.filter(
    (c) => (c.proto === 'tcp' || c.proto === 'tcp6') && LIVE_STATES.has(c.state) && POOL_PORTS.has(c.remotePort),
  );
}

export function poolPortIssue(conns: readonly ProcConnection[]): ProcIssue | null {
  if (conns.length === 0) return null;
  const list = conns.map((c) => `${formatEndpoint(c.remoteAddress, c.remotePort)} (${c.proto}, ${c.state})`);
  return {
    rule: 'pool-port-connection',
    severity: 'medium',
    title: `Connected to a mining-pool port: ${list[0]}${list.length > 1 ? ` and ${list.length - 1} more` : ''}`,
    evidence: [
      ...list.map((l) => `connection to ${l}`),
      'these ports are the ones mining pools use for the stratum protocol; some other services use them too',
    ],
  };
}
