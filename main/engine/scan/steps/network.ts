/**
 * Step 3, network: connections to mining-pool ports (Linux, from /proc/net), and mining domains
 * named in command lines or in the config files the signatures step read.
 */
import type { ScanConnection } from '../../../../shared/scan.js';
import { findListedHosts } from '../../detect/mining-domains.js';
import { connectionsByPid, formatEndpoint, type ProcConnection } from '../../platform/linux/proc-net.js';
import { poolPortConnections, poolPortIssue } from '../process-rules.js';
import { addProcFinding, plural, type ScanStep, type StepOutcome } from './step.js';

export const networkStep: ScanStep = async (scan, { ctx }) => {
  const { platform, procRoot, snapshot, connections, domains: domainList } = scan;
  let outcome: StepOutcome;
  if (platform === 'linux') {
    const inodes = new Map<number, number[]>();
    for (const p of snapshot.procs) if (p.sockets && p.sockets.length > 0) inodes.set(p.pid, p.sockets);
    const result = connectionsByPid({ procRoot, pids: inodes.keys(), socketInodes: inodes });
    for (const e of result.errors) ctx.problem('network', null, e);
    for (const [pid, conns] of result.byPid) {
      for (const c of conns) connections.push(scanConnection(c));
      const pool = poolPortIssue(poolPortConnections(conns));
      const p = scan.byPid.get(pid);
      if (pool && p) addProcFinding(scan, p, pool);
    }
    const held =
      connections.length === 0
        ? 'no TCP or UDP sockets open'
        : `${plural(connections.length, 'socket')} held by ${plural(result.byPid.size, 'process', 'processes')}`;
    outcome = {
      status: result.errors.length > 0 ? 'partial' : 'ok',
      detail: `${held}; ${domainList.size} mining domains from ${domainList.source}`,
    };
  } else {
    outcome = {
      status: 'partial',
      detail: `connections are read on Linux only (/proc/net); mining domains in command lines were checked (${domainList.size} from ${domainList.source})`,
    };
  }
  for (const p of snapshot.procs) {
    if (p.kernelThread) continue;
    const hits = findListedHosts(`${p.cmdline} ${(scan.configHosts.get(p.pid) ?? []).join(' ')}`, domainList);
    if (hits.length === 0) continue;
    addProcFinding(scan, p, {
      rule: 'mining-domain',
      severity: 'high',
      title: `Names a mining domain: ${hits[0]?.host}`,
      evidence: hits.map((h) => `${h.host} (on the mining-domain list as ${h.domain})`),
    });
  }
  return outcome;
};

function scanConnection(c: ProcConnection): ScanConnection {
  return {
    pid: c.pid,
    proto: c.proto,
    local: formatEndpoint(c.localAddress, c.localPort),
    remote: formatEndpoint(c.remoteAddress, c.remotePort),
    remotePort: c.remotePort,
    state: c.state,
  };
}
