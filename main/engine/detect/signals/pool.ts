/** The pool-connection rule: an open connection to a port mining pools use for stratum. */
import type { TraceConn } from '../../../../shared/trace.js';
import { POOL_PORTS } from '../signatures.js';

/** Splits `host:port` and `[v6]:port`; null when there is no port. */
export function splitRemote(remote: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(remote) ?? /^([^:]+):(\d+)$/.exec(remote);
  if (!m) return null;
  return { host: m[1]!, port: Number(m[2]) };
}

/** Loopback, link-local and unspecified addresses: local tools, not pools on the internet. */
function isLocal(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === 'localhost' ||
    h.startsWith('127.') ||
    h === '::1' ||
    h === '0.0.0.0' ||
    h === '::' ||
    h.startsWith('169.254.') ||
    h.startsWith('fe80:')
  );
}

/**
 * The first live connection (established or being opened) to a stratum port on a non-local
 * host, as `host:port`; null when none. Weak evidence: pools also listen on 443, and other
 * software uses some of these ports.
 */
export function poolConnection(conns: readonly TraceConn[]): string | null {
  for (const c of conns) {
    if (typeof c?.remote !== 'string') continue;
    const state = typeof c.state === 'string' ? c.state.toUpperCase() : '';
    if (state !== 'ESTABLISHED' && state !== 'SYN_SENT' && state !== '') continue;
    const r = splitRemote(c.remote);
    if (!r || isLocal(r.host) || !POOL_PORTS.has(r.port)) continue;
    return c.remote;
  }
  return null;
}

/**
 * The first live connection to a non-local address that `resolve` (the resolver cache) maps to a
 * mining domain, on any port: a pool reached on 443 has an ordinary port but not an ordinary name.
 */
export function miningNameConnection(
  conns: readonly TraceConn[],
  resolve: (address: string) => { name: string; domain: string } | null,
): { remote: string; name: string; domain: string } | null {
  for (const c of conns) {
    if (typeof c?.remote !== 'string') continue;
    const state = typeof c.state === 'string' ? c.state.toUpperCase() : '';
    if (state !== 'ESTABLISHED' && state !== 'SYN_SENT' && state !== '') continue;
    const r = splitRemote(c.remote);
    if (!r || isLocal(r.host)) continue;
    const hit = resolve(r.host);
    if (hit) return { remote: c.remote, ...hit };
  }
  return null;
}
