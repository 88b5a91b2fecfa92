/**
 * The dns step: mining-pool and browser-mining domains in the resolver cache (something on this
 * machine looked them up), each with the time it has left in the cache and, where the network
 * step's connection tables show one, the process connected to the address it resolved to.
 */
import type { ScanDnsHit } from '../../../../shared/scan.js';
import { ttlText } from '../../../../shared/scan-software-text.js';
import { miningCacheHits, normalizeAddress } from '../../dns/mining-cache.js';
import { readResolverCache } from '../../dns/resolver-cache.js';
import { splitRemote } from '../../detect/signals/pool.js';
import { abortable } from '../scan-context.js';
import { addProcFinding, plural, type ScanStep } from './step.js';

export interface DnsStepOptions {
  /** Tool paths (tests put fakes here); default the system's resolvectl and powershell.exe. */
  resolvectl?: string;
  powershell?: string;
}

export const dnsStep: ScanStep = async (scan, { signal }) => {
  const tools = scan.options.dns ?? {};
  const read = await abortable(
    readResolverCache({
      platform: scan.platform,
      run: scan.runTool,
      ...(tools.resolvectl ? { resolvectl: tools.resolvectl } : {}),
      ...(tools.powershell ? { powershell: tools.powershell } : {}),
      signal,
    }),
    signal,
  );
  if (!read.ok) {
    scan.dnsCache = { source: read.source, readable: false, detail: read.reason, entries: 0, hits: [] };
    return { status: 'unavailable', detail: `resolver cache not readable: ${read.reason}` };
  }

  // Who is connected to which address, from the network step's tables.
  const byAddress = new Map<string, { pid: number; remote: string }[]>();
  for (const c of scan.connections) {
    const r = splitRemote(c.remote);
    if (!r) continue;
    const key = normalizeAddress(r.host);
    const list = byAddress.get(key);
    if (list) list.push({ pid: c.pid, remote: c.remote });
    else byAddress.set(key, [{ pid: c.pid, remote: c.remote }]);
  }

  const hits: ScanDnsHit[] = miningCacheHits(read.entries, scan.domains).map((h) => {
    const conns = h.type === 'A' || h.type === 'AAAA' ? (byAddress.get(normalizeAddress(h.data)) ?? []) : [];
    return {
      name: h.listedName,
      domain: h.domain,
      type: h.type,
      data: h.data,
      ttlSec: h.ttlSec,
      processes: conns.map((c) => ({ pid: c.pid, name: scan.byPid.get(c.pid)?.name ?? '?', remote: c.remote })),
    };
  });
  scan.dnsCache = {
    source: read.source,
    readable: true,
    detail: `${plural(read.entries.length, 'cached record')}${read.truncated ? ' (cut short)' : ''}`,
    entries: read.entries.length,
    hits,
  };

  // One finding per listed name, and one per process connected to one of its addresses.
  const names = new Map<string, ScanDnsHit[]>();
  for (const h of hits) {
    const list = names.get(h.name);
    if (list) list.push(h);
    else names.set(h.name, [h]);
  }
  for (const [name, records] of names) {
    const evidence = records
      .slice(0, 10)
      .map((r) => `${name} ${r.type} ${r.data} (${ttlText(r.ttlSec)}; on the mining-domain list as ${r.domain})`);
    const connected = new Map<number, string>();
    for (const r of records) for (const p of r.processes) connected.set(p.pid, p.remote);
    for (const [pid, remote] of connected) {
      const p = scan.byPid.get(pid);
      if (!p) continue;
      addProcFinding(scan, p, {
        rule: 'cached-mining-domain',
        severity: 'high',
        title: `Connected to ${remote}, which the resolver cache maps to ${name}`,
        evidence: [...evidence, `source: ${read.source}`],
      });
    }
    if (connected.size === 0) {
      scan.findings.add({
        key: name,
        rule: 'cached-mining-domain',
        severity: 'medium',
        title: `${name} was looked up on this machine (${ttlText(records[0]?.ttlSec ?? null)})`,
        evidence: [
          ...evidence,
          `source: ${read.source}`,
          'no process holds a connection to its addresses now; a miner may connect later, or a browser tab loaded a mining script',
        ],
        actions: [{ kind: 'manual', text: 'Look for a process or browser tab that contacts this domain' }],
      });
    }
  }
  return {
    status: 'ok',
    detail: `${scan.dnsCache.detail} from ${read.source}; ${hits.length === 0 ? 'no mining domain' : plural(names.size, 'mining domain')}`,
  };
};
