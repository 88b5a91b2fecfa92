/**
 * How the software and dns steps' results read, in one place for the CLI table, the HTML report
 * and the window, so the three never state them two ways. Plain text: each caller escapes it for
 * its medium (every name and version here came from the machine).
 */
import type { ScanDnsCache, ScanDnsHit, ScanInstalledBrowser, ScanOsUpdates, ScanSoftware } from './scan.js';

/** "support table written 2025-06-30, 525 days ago: too old to judge by". */
export function supportTableText(sw: ScanSoftware): string {
  const t = sw.table;
  if (!t) return 'the support table could not be read: versions are shown without a verdict';
  const age = `${t.ageDays} ${t.ageDays === 1 ? 'day' : 'days'} ago`;
  return t.tooOld
    ? `support table written ${t.written}, ${age}: too old to judge by, so versions are shown without a verdict`
    : `support table written ${t.written}, ${age}`;
}

/** The verdict as one word for a column. */
export function verdictWord(b: ScanInstalledBrowser): string {
  return b.verdict === 'supported' ? 'supported' : b.verdict === 'unsupported' ? 'OUTDATED' : 'no verdict';
}

/** "Chromium 156.0.8078.129: no verdict: the support table was written on …". */
export function browserText(b: ScanInstalledBrowser): string {
  return `${b.label} ${b.version}: ${b.verdictText}`;
}

/** The OS update state in one sentence, with what could not be read. */
export function osUpdatesText(os: ScanOsUpdates): string {
  const last = os.lastInstalled
    ? `last installed ${os.lastInstalled.slice(0, 10)} (${os.what ?? 'an update'}, from ${os.source ?? '?'})${os.state === 'stale' ? ', a long time ago' : ''}`
    : 'unknown: no update history could be read';
  const waiting =
    os.pendingSecurity !== null
      ? `; ${os.pendingSecurity} security ${os.pendingSecurity === 1 ? 'update' : 'updates'} waiting${os.pending !== null ? ` (${os.pending} in all)` : ''}`
      : os.pending !== null
        ? `; ${os.pending} ${os.pending === 1 ? 'update' : 'updates'} waiting`
        : '';
  return `${last}${waiting}`;
}

/** "303 s left in the cache" or what the source does not say. */
export function ttlText(ttl: number | null): string {
  return ttl === null ? 'time left not shown by the source' : `${ttl} s left in the cache`;
}

/** One cached mining name and who connected to it. */
export function dnsHitText(h: ScanDnsHit): string {
  const who =
    h.processes.length > 0
      ? `; connected: ${h.processes.map((p) => `pid ${p.pid} ${p.name} (${p.remote})`).join(', ')}`
      : '';
  return `${h.name} ${h.type} ${h.data} (${ttlText(h.ttlSec)}; listed as ${h.domain})${who}`;
}

/** The cache as a whole: readable with N records, or why not. */
export function dnsCacheText(d: ScanDnsCache): string {
  if (!d.readable) return `${d.source}: not readable: ${d.detail}`;
  const n = new Set(d.hits.map((h) => h.name)).size;
  return `${d.source}: ${d.detail}; ${n === 0 ? 'no mining domain in it' : `${n} mining ${n === 1 ? 'domain' : 'domains'}`}`;
}
