/**
 * The operating system's DNS resolver cache, where a user may read it: the names this machine
 * looked up lately and the addresses they gave. A miner that reaches its pool on port 443 hides
 * from a port rule, but it had to look the pool's name up first, and that answer stays cached for
 * its time-to-live.
 *
 * - Windows: the DNS Client service's cache, `Get-DnsClientCache` (any user may list it);
 * - Linux: systemd-resolved's cache, `resolvectl show-cache` (systemd 254 and later; resolved
 *   answers it over varlink to root only on most systems, so as a user it usually says so);
 * - macOS: mDNSResponder keeps its cache to itself: it writes it to the system log only when sent
 *   SIGINFO, which takes root and signals a system daemon, so nothing is read.
 *
 * Tools are run without a shell, by fixed path where the system has one, with a timeout and a
 * bounded output; every name is bounded and lower-cased before it is matched.
 */
import { existsSync } from 'node:fs';
import type { Platform } from '../../../shared/trace.js';
import type { RunOptions, RunResult } from '../util/exec.js';

export type ToolRunner = (file: string, args: readonly string[], opts: RunOptions) => Promise<RunResult>;

export interface ResolverEntry {
  /** The name as looked up or as its CNAME chain named it, lower case. */
  name: string;
  /** The name the lookup was for (Windows: `Entry`), when the source says; else `name`. */
  entry: string;
  /** A, AAAA, CNAME, PTR, … */
  type: string;
  /** The address, or the CNAME target. */
  data: string;
  /** Seconds left before it expires; null where the source does not say. */
  ttlSec: number | null;
}

export type ResolverRead =
  | { ok: true; source: string; entries: ResolverEntry[]; truncated: boolean }
  | { ok: false; source: string; reason: string };

export const MAX_ENTRIES = 20_000;
const MAX_OUTPUT = 16 * 1024 * 1024;
const TIMEOUT_MS = 10_000;
const NAME_MAX = 253;

/** DNS record types by number (Get-DnsClientCache's `Type` is the number). */
const RR_TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  65: 'HTTPS',
};

const cleanName = (s: string): string => s.trim().toLowerCase().replace(/\.$/, '').slice(0, NAME_MAX);

/**
 * The DNS Client cache, in a fixed order of fields, as JSON. `Status` 0 is an answer; others
 * (9003: name does not exist, 9501: no records) are cached failures with no address.
 */
export const DNS_CACHE_SCRIPT =
  'Get-DnsClientCache | Select-Object Entry,Name,Type,Status,Section,TimeToLive,Data | ConvertTo-Json -Compress';

/** Get-DnsClientCache's JSON: one object (a single entry) or a list; nothing at all when empty. */
export function parseWindowsDnsCache(json: string): { entries: ResolverEntry[]; truncated: boolean } {
  const text = json.trim();
  if (text === '') return { entries: [], truncated: false };
  const raw: unknown = JSON.parse(text);
  const list = Array.isArray(raw) ? raw : [raw];
  const entries: ResolverEntry[] = [];
  for (const x of list) {
    if (entries.length >= MAX_ENTRIES) return { entries, truncated: true };
    if (typeof x !== 'object' || x === null) continue;
    const r = x as Record<string, unknown>;
    if (typeof r.Name !== 'string' || (r.Status !== undefined && r.Status !== 0)) continue;
    const type =
      typeof r.Type === 'number' ? (RR_TYPES[r.Type] ?? String(r.Type)) : typeof r.Type === 'string' ? r.Type : '?';
    entries.push({
      name: cleanName(r.Name),
      entry: typeof r.Entry === 'string' ? cleanName(r.Entry) : cleanName(r.Name),
      type,
      data: typeof r.Data === 'string' ? r.Data.trim().slice(0, NAME_MAX) : '',
      ttlSec: typeof r.TimeToLive === 'number' && Number.isFinite(r.TimeToLive) ? r.TimeToLive : null,
    });
  }
  return { entries, truncated: false };
}

/**
 * `resolvectl show-cache`: per scope a `Scope protocol=dns …` line, then one resource record a
 * line in zone-file form, `name [ttl] IN TYPE data`. A TTL is taken when the line has one.
 */
export function parseResolvectlCache(text: string): { entries: ResolverEntry[]; truncated: boolean } {
  const entries: ResolverEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const inAt = words.indexOf('IN');
    if (inAt < 1 || inAt + 2 >= words.length) continue;
    const type = words[inAt + 1];
    const data = words.slice(inAt + 2).join(' ');
    if (!type || !data) continue;
    if (entries.length >= MAX_ENTRIES) return { entries, truncated: true };
    const ttl = inAt >= 2 && /^\d+$/.test(words[inAt - 1] ?? '') ? Number(words[inAt - 1]) : null;
    const name = cleanName(words[0] ?? '');
    entries.push({ name, entry: name, type: type.toUpperCase(), data: cleanName(data), ttlSec: ttl });
  }
  return { entries, truncated: false };
}

/** Why resolvectl said no, in words a user can act on. */
function resolvectlRefusal(r: RunResult): string {
  const said = `${r.stderr}\n${r.stdout}`.trim();
  const first =
    said
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim()
      .slice(0, 200) ?? '';
  if (/unknown (command )?verb|unknown operation/i.test(said)) {
    return `this resolvectl has no show-cache (added in systemd 254): ${first}`;
  }
  if (/permission denied|access denied|not permitted|EPERM|EACCES/i.test(said)) {
    return `systemd-resolved shows its cache to root only (${first}); run the scan as root to read it`;
  }
  if (/not running|could not connect|no such file|connection refused|ENOENT/i.test(said) && r.code !== null) {
    return `systemd-resolved is not running (${first}): this system resolves names elsewhere, and no cache is readable`;
  }
  return r.error ?? (first || 'failed');
}

export interface ReadResolverOptions {
  platform: Platform;
  run: ToolRunner;
  /** Tool paths (tests put fakes here); default the system's. */
  resolvectl?: string;
  powershell?: string;
  signal?: AbortSignal;
}

/** The system resolvectl by fixed path, never a PATH lookup (a user's PATH may hold a fake one). */
export function systemResolvectl(): string | null {
  for (const p of ['/usr/bin/resolvectl', '/bin/resolvectl']) if (existsSync(p)) return p;
  return null;
}

/** Reads the resolver cache once. Never throws: a source that does not work says why. */
export async function readResolverCache(opts: ReadResolverOptions): Promise<ResolverRead> {
  if (opts.platform === 'darwin') {
    return {
      ok: false,
      source: 'mDNSResponder',
      reason:
        'macOS keeps its resolver cache inside mDNSResponder, which shows it only by writing it to the system log when sent SIGINFO: that takes root and signals a system daemon, so it is not read',
    };
  }
  if (opts.platform === 'win32') {
    const source = 'Get-DnsClientCache';
    const r = await opts.run(
      opts.powershell ?? 'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', DNS_CACHE_SCRIPT],
      { timeoutMs: TIMEOUT_MS, maxBuffer: MAX_OUTPUT },
    );
    if (!r.ok) return { ok: false, source, reason: r.error ?? 'failed' };
    try {
      return { ok: true, source, ...parseWindowsDnsCache(r.stdout) };
    } catch {
      return { ok: false, source, reason: `printed something that is not JSON: ${r.stdout.trim().slice(0, 80)}` };
    }
  }
  const tool = opts.resolvectl ?? systemResolvectl();
  const source = 'resolvectl show-cache';
  if (!tool) {
    return {
      ok: false,
      source,
      reason: 'resolvectl is not installed (no systemd-resolved): this system keeps no resolver cache a user can read',
    };
  }
  const r = await opts.run(tool, ['show-cache', '--no-pager'], {
    timeoutMs: TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
    env: { PATH: '/usr/bin:/bin', LANG: 'C', SYSTEMD_COLORS: '0' },
  });
  if (!r.ok) return { ok: false, source, reason: resolvectlRefusal(r) };
  return { ok: true, source, ...parseResolvectlCache(r.stdout) };
}
