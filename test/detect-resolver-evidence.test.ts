/**
 * The resolver cache as pool evidence in the live detector: a miner on port 443 (a TLS pool, the
 * evasion of the pool-port rule) is caught when its address is one the resolver cache maps to a
 * mining domain. The trace format carries no DNS data (docs/trace-format.md is a binding spec), so
 * the replay gets the resolver map beside the trace, built here from a fake resolvectl's output
 * through the same parser and matcher the monitor uses. Also the monitor's ResolverWatch: it reads
 * the cache only when asked about a miss, at most once a minute, and a failing source is retried
 * only after ten minutes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Incident } from '../shared/detection.js';
import type { TraceConn } from '../shared/trace.js';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { replayFile } from '../main/engine/detect/replay.js';
import { buildStream, type Segment, wobble } from '../main/engine/detect/sample-builder.js';
import { miningAddresses, miningCacheHits, normalizeAddress } from '../main/engine/dns/mining-cache.js';
import { readResolverCache } from '../main/engine/dns/resolver-cache.js';
import { FAILED_RETRY_MS, ResolverWatch } from '../main/engine/dns/resolver-watch.js';
import { runFile } from '../main/engine/util/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-resolver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = new DomainList(['supportxmr.com', 'nanopool.org'], 'test list');
const CACHE =
  'Scope protocol=dns interface=eth0 ifindex=2\npool.supportxmr.com IN CNAME pool-lb.edge-net.example\npool-lb.edge-net.example IN A 203.0.113.7\ncdn.example.org IN A 198.51.100.20\n';

function fakeResolvectl(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const session: Segment[] = [
  { kind: 'active', sec: 60 },
  { kind: 'away', sec: 240 },
  { kind: 'active', sec: 60 },
];

/** A CPU miner that starts after the user left and talks to its pool over 443, from a normal-looking path. */
function writeTrace(name: string, conns: TraceConn[]): string {
  const { header, samples } = buildStream({
    session,
    cpuCores: 8,
    procs: [
      {
        pid: 5150,
        name: 'kworkerd',
        exe: '/usr/local/bin/kworkerd',
        cmdline: '/usr/local/bin/kworkerd',
        load: (c) => ({ cpu: c.awayMs !== null && c.awayMs > 60_000 ? 180 + wobble(c.t) : 0.2 }),
        conns,
      },
      {
        // An idle browser with a connection to a CDN: never busy, so never asked about.
        pid: 777,
        name: 'firefox',
        exe: '/usr/lib/firefox/firefox',
        load: () => ({ cpu: 0.5 }),
        conns: [{ proto: 'tcp', remote: '198.51.100.20:443', state: 'ESTABLISHED' }],
      },
    ],
  });
  const file = join(dir, name);
  writeFileSync(file, `${[header, ...samples].map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

async function resolverFromFakeTool(): Promise<(address: string) => { name: string; domain: string } | null> {
  const tool = fakeResolvectl('resolvectl', `cat <<'X'\n${CACHE}X`);
  const read = await readResolverCache({ platform: 'linux', run: runFile, resolvectl: tool });
  if (!read.ok) throw new Error(read.reason);
  const map = miningAddresses(miningCacheHits(read.entries, LIST));
  return (address) => {
    const h = map.get(normalizeAddress(address));
    return h ? { name: h.listedName, domain: h.domain } : null;
  };
}

const poolReason = (incidents: Incident[], pid: number) =>
  incidents.find((i) => i.pid === pid)?.reasons.find((r) => r.rule === 'pool-connection');

describe('a connection to an address the resolver cache maps to a mining domain', () => {
  it('is pool evidence on port 443, which the pool-port rule alone does not see', async () => {
    const file = writeTrace('miner-443.jsonl', [{ proto: 'tcp', remote: '203.0.113.7:443', state: 'ESTABLISHED' }]);
    const asked: string[] = [];
    const resolve = await resolverFromFakeTool();
    const without = await replayFile(file);
    const withDns = await replayFile(file, {
      resolvedMiningName: (a) => {
        asked.push(a);
        return resolve(a);
      },
    });
    expect(poolReason(without.incidents, 5150)).toBeUndefined();
    const reason = poolReason(withDns.incidents, 5150);
    expect(reason?.detail).toBe(
      'connected to 203.0.113.7:443, which the resolver cache maps to pool.supportxmr.com (supportxmr.com is on the mining-domain list)',
    );
    const sev = { low: 1, medium: 2, high: 3 } as const;
    const before = without.incidents.find((i) => i.pid === 5150);
    const after = withDns.incidents.find((i) => i.pid === 5150);
    expect(after?.score ?? 0).toBeGreaterThan(before?.score ?? 0);
    expect(sev[after?.severity ?? 'low']).toBeGreaterThanOrEqual(sev[before?.severity ?? 'low']);
    // The idle browser was never asked about: only busy processes or ones with evidence are.
    expect(asked).not.toContain('198.51.100.20');
    expect(asked).toContain('203.0.113.7');
  });

  it('survives an IPv4-mapped IPv6 spelling of the address', async () => {
    const file = writeTrace('miner-v6.jsonl', [
      { proto: 'tcp6', remote: '[::ffff:203.0.113.7]:443', state: 'ESTABLISHED' },
    ]);
    const r = await replayFile(file, { resolvedMiningName: await resolverFromFakeTool() });
    expect(poolReason(r.incidents, 5150)?.detail).toMatch(
      /^connected to \[::ffff:203\.0\.113\.7\]:443, which the resolver cache maps to pool\.supportxmr\.com/,
    );
  });

  it('is not evidence for an address the cache maps to an ordinary name', async () => {
    const file = writeTrace('busy-cdn.jsonl', [{ proto: 'tcp', remote: '198.51.100.20:443', state: 'ESTABLISHED' }]);
    const r = await replayFile(file, { resolvedMiningName: await resolverFromFakeTool() });
    expect(poolReason(r.incidents, 5150)).toBeUndefined();
  });
});

describe('ResolverWatch (the monitor side)', () => {
  it('reads the cache on a miss, at most once a minute, and answers from the last read', async () => {
    let now = 1_000_000;
    let reads = 0;
    const tool = fakeResolvectl('resolvectl-counted', `cat <<'X'\n${CACHE}X`);
    const watch = new ResolverWatch({
      platform: 'linux',
      domains: LIST,
      resolvectl: tool,
      now: () => now,
      run: (file, args, opts) => {
        reads++;
        return runFile(file, args, opts);
      },
    });
    expect(watch.status().ok).toBeNull();
    expect(watch.lookup('203.0.113.7')).toBeNull();
    await watch.settled();
    expect(reads).toBe(1);
    expect(watch.lookup('203.0.113.7')).toEqual({ name: 'pool.supportxmr.com', domain: 'supportxmr.com' });
    expect(watch.lookup('192.0.2.1')).toBeNull();
    await watch.settled();
    expect(reads).toBe(1);
    now += 61_000;
    watch.lookup('192.0.2.1');
    await watch.settled();
    expect(reads).toBe(2);
    expect(watch.status()).toMatchObject({ ok: true, source: 'resolvectl show-cache', miningAddresses: 1 });
  });

  it('says why a source does not work, and tries it again only after ten minutes', async () => {
    let now = 0;
    let reads = 0;
    const tool = fakeResolvectl(
      'resolvectl-denied',
      'echo "Failed to issue DumpCache() varlink call: Permission denied" >&2; exit 1',
    );
    const watch = new ResolverWatch({
      platform: 'linux',
      domains: LIST,
      resolvectl: tool,
      now: () => now,
      run: (file, args, opts) => {
        reads++;
        return runFile(file, args, opts);
      },
    });
    watch.lookup('203.0.113.7');
    await watch.settled();
    expect(watch.status().ok).toBe(false);
    expect(watch.status().detail).toMatch(/^systemd-resolved shows its cache to root only/);
    now += 5 * 60_000;
    watch.lookup('203.0.113.7');
    await watch.settled();
    expect(reads).toBe(1);
    now += FAILED_RETRY_MS;
    watch.lookup('203.0.113.7');
    await watch.settled();
    expect(reads).toBe(2);
  });
});
