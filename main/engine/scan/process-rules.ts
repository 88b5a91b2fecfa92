/**
 * What the scan concludes about one process from its executable, its command line and its
 * connections. The detector's rules (detect/provenance.ts, detect/identity.ts) decide; this turns
 * their verdicts into scan findings with a severity and evidence.
 */
import type { Severity } from '../../../shared/detection.js';
import type { ScanRule } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { minerSignature } from '../detect/identity.js';
import { inInstalledFolder, isDeleted, kernelThreadImpostor, systemNameImpostor } from '../detect/provenance.js';
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

/** Step 1: where the program runs from and what it calls itself. */
export function executableIssues(p: ScanProc, platform: Platform, writable: WorldWritableDirs | null): ProcIssue[] {
  if (p.kernelThread) return [];
  const out: ProcIssue[] = [];
  const exe = p.exe;
  if (exe && isDeleted(exe)) {
    if (exe.startsWith('/memfd:')) {
      out.push({
        rule: 'deleted-executable',
        severity: 'high',
        title: `Runs from memory only, with no file on disk (${exe})`,
        evidence: [
          'its executable is an anonymous memory file (memfd): a way to run a program that leaves no file to find',
        ],
      });
    } else if (inInstalledFolder(exe, platform)) {
      out.push({
        rule: 'deleted-executable',
        severity: 'low',
        title: `Its executable was replaced or removed since it started: ${exe}`,
        evidence: [
          'the file lived in a system or install folder, so an update most likely replaced it; restarting the program clears this',
        ],
      });
    } else {
      out.push({
        rule: 'deleted-executable',
        severity: 'medium',
        title: `Its executable was deleted after it started: ${exe}`,
        evidence: ['programs that delete their own file after starting are hiding from file scans'],
      });
    }
  }
  const places = locationFindings(exe, platform);
  for (const f of places) {
    out.push({
      rule: 'temp-folder-executable',
      severity: f.kind === 'cache' ? 'low' : 'medium',
      title: `Runs from ${f.where}: ${exe}`,
      evidence: [
        `executable: ${exe}`,
        'installed software does not run from temporary, cache or hidden folders; droppers do',
      ],
    });
  }
  if (places.length === 0 && writable) {
    const dir = writable.check(exe);
    if (dir) {
      out.push({
        rule: 'world-writable-folder',
        severity: 'medium',
        title: `Runs from a folder every user can write: ${dir}`,
        evidence: [`executable: ${exe}`, 'anyone on this machine could have replaced it'],
      });
    }
  }
  const kthread = kernelThreadImpostor(
    { pid: p.pid, ppid: p.ppid, name: p.name, exe: p.exe, cmdline: p.cmdline },
    platform,
  );
  if (kthread) {
    out.push({
      rule: 'kernel-thread-impostor',
      severity: 'high',
      title: `Calls itself a kernel thread (${kthread.posedAs}) but ${kthread.evidence}`,
      evidence: ['kernel threads have no program file and no command line; miners borrow their names to look harmless'],
    });
  }
  const sys = systemNameImpostor({ name: p.name, exe: p.exe }, platform);
  if (sys) {
    out.push({
      rule: 'system-name-impostor',
      severity: 'high',
      title: `Named like the system program ${sys.posedAs} but runs from ${exe}`,
      evidence: [`the real one lives in ${sys.expected}`],
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
