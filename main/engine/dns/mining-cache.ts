/**
 * Mining domains in the resolver cache: which cached names are on the mining-domain list, and
 * which addresses they resolved to, following CNAME chains (a pool's name is often a CNAME to a
 * load balancer under another name, and the address belongs to the name the lookup was for).
 */
import type { DomainList } from '../detect/mining-domains.js';
import type { ResolverEntry } from './resolver-cache.js';

/** CNAME chains are short; a longer one is a loop or a trick, and is cut there. */
const MAX_CHAIN = 8;

export interface MiningCacheHit extends ResolverEntry {
  /** The listed name it matched (`pool.supportxmr.com` for a record of `lb.example.net` it CNAMEs to). */
  listedName: string;
  /** The list entry (`supportxmr.com`). */
  domain: string;
}

/** The listed name an entry belongs to: itself, the name looked up, or a CNAME pointing at it. */
function listedOwner(
  e: ResolverEntry,
  list: DomainList,
  cnameOf: ReadonlyMap<string, string[]>,
): { listedName: string; domain: string } | null {
  for (const n of [e.name, e.entry]) {
    const d = list.match(n);
    if (d) return { listedName: n, domain: d };
  }
  // Walk back up the CNAME chain: who points at this name?
  let names = [e.name];
  const seen = new Set(names);
  for (let hop = 0; hop < MAX_CHAIN && names.length > 0; hop++) {
    const next: string[] = [];
    for (const n of names) {
      for (const owner of cnameOf.get(n) ?? []) {
        const d = list.match(owner);
        if (d) return { listedName: owner, domain: d };
        if (!seen.has(owner)) {
          seen.add(owner);
          next.push(owner);
        }
      }
    }
    names = next;
  }
  return null;
}

/** Every cached record that belongs to a listed name. */
export function miningCacheHits(entries: readonly ResolverEntry[], list: DomainList): MiningCacheHit[] {
  const cnameOf = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'CNAME') continue;
    const owners = cnameOf.get(e.data);
    if (owners) owners.push(e.name);
    else cnameOf.set(e.data, [e.name]);
  }
  const hits: MiningCacheHit[] = [];
  for (const e of entries) {
    const owner = listedOwner(e, list, cnameOf);
    if (owner) hits.push({ ...e, ...owner });
  }
  return hits;
}

/** Address -> the listed name it was looked up as, from the A and AAAA records among `hits`. */
export function miningAddresses(hits: readonly MiningCacheHit[]): Map<string, MiningCacheHit> {
  const map = new Map<string, MiningCacheHit>();
  for (const h of hits) {
    if (h.type !== 'A' && h.type !== 'AAAA') continue;
    const addr = normalizeAddress(h.data);
    if (addr && !map.has(addr)) map.set(addr, h);
  }
  return map;
}

/**
 * One spelling per address, whoever printed it: lower case, no brackets, IPv4-mapped IPv6 as
 * plain IPv4, other IPv6 as eight uncompressed groups without leading zeros.
 */
export function normalizeAddress(a: string): string {
  let s = a.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (mapped) return mapped[1] as string;
  if (!s.includes(':') || !/^[0-9a-f:]+$/.test(s)) return s;
  const [head = '', tail, ...rest] = s.split('::');
  if (rest.length > 0) return s;
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0) return s;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (groups.length !== 8) return s;
  return groups.map((g) => Number.parseInt(g || '0', 16).toString(16)).join(':');
}
