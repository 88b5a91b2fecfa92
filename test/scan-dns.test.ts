/**
 * Mining domains in the resolver cache: Windows through a fake PowerShell runner answering with a
 * Get-DnsClientCache listing of the real shape, Linux through a fake `resolvectl` program (run for
 * real, as the scan runs the system one) and a real process connected to the cached address.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { miningAddresses, miningCacheHits, normalizeAddress } from '../main/engine/dns/mining-cache.js';
import {
  DNS_CACHE_SCRIPT,
  parseResolvectlCache,
  parseWindowsDnsCache,
  systemResolvectl,
} from '../main/engine/dns/resolver-cache.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import type { ToolRunner } from '../main/engine/scan/windows-persistence.js';
import { runFile } from '../main/engine/util/exec.js';
import { REPO_ROOT } from './captured.js';
import { killAndWait, waitFor } from './helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-dns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = new DomainList(['supportxmr.com', 'nanopool.org', 'coinhive.com'], 'test list');
const WINDOWS_CACHE = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'windows', 'dns-client-cache.json'), 'utf8');
const noProcs = async () => ({ procs: [], listed: new Set<number>(), unreadable: 0 });

/** A stand-in for resolvectl: prints `out` (to stderr when `code` is not 0) and exits with `code`. */
function fakeResolvectl(name: string, out: string, code = 0): string {
  const file = join(dir, name);
  const data = join(dir, `${name}.out`);
  writeFileSync(data, out);
  writeFileSync(
    file,
    `#!/bin/sh\n[ "$1" = show-cache ] || { echo "unexpected arguments: $*" >&2; exit 64; }\ncat '${data}' ${code === 0 ? '' : '>&2'}\nexit ${code}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

describe('resolver cache parsers', () => {
  it('reads Get-DnsClientCache JSON: answers only, types by name, one object or none', () => {
    const { entries } = parseWindowsDnsCache(WINDOWS_CACHE);
    expect(entries.map((e) => [e.entry, e.name, e.type, e.data, e.ttlSec])).toEqual([
      ['pool.supportxmr.com', 'pool.supportxmr.com', 'CNAME', 'pool-lb.edge-net.example', 187],
      ['pool.supportxmr.com', 'pool-lb.edge-net.example', 'A', '203.0.113.7', 187],
      ['www.example.com', 'www.example.com', 'A', '93.184.215.14', 3021],
      ['xmr-eu1.nanopool.org', 'xmr-eu1.nanopool.org', 'AAAA', '2001:db8::7', 55],
      ['1.0.0.127.in-addr.arpa', '1.0.0.127.in-addr.arpa', 'PTR', 'kubernetes.docker.internal', 573942],
    ]);
    expect(parseWindowsDnsCache('').entries).toEqual([]);
    expect(
      parseWindowsDnsCache('{"Entry":"a.b","Name":"a.b","Type":1,"Status":0,"TimeToLive":5,"Data":"192.0.2.1"}')
        .entries,
    ).toHaveLength(1);
  });

  it('reads resolvectl show-cache lines, with or without a TTL column', () => {
    const { entries } = parseResolvectlCache(
      'Scope protocol=dns interface=eth0 ifindex=2\n  pool.supportxmr.com IN CNAME pool-lb.edge-net.example\n  pool-lb.edge-net.example 120 IN A 203.0.113.7\nNo entries.\n',
    );
    expect(entries).toEqual([
      {
        name: 'pool.supportxmr.com',
        entry: 'pool.supportxmr.com',
        type: 'CNAME',
        data: 'pool-lb.edge-net.example',
        ttlSec: null,
      },
      {
        name: 'pool-lb.edge-net.example',
        entry: 'pool-lb.edge-net.example',
        type: 'A',
        data: '203.0.113.7',
        ttlSec: 120,
      },
    ]);
  });

  it('follows a CNAME back to the listed name, and spells addresses one way', () => {
    const hits = miningCacheHits(parseWindowsDnsCache(WINDOWS_CACHE).entries, LIST);
    expect(hits.map((h) => [h.name, h.listedName, h.domain])).toEqual([
      ['pool.supportxmr.com', 'pool.supportxmr.com', 'supportxmr.com'],
      ['pool-lb.edge-net.example', 'pool.supportxmr.com', 'supportxmr.com'],
      ['xmr-eu1.nanopool.org', 'xmr-eu1.nanopool.org', 'nanopool.org'],
    ]);
    const map = miningAddresses(hits);
    expect([...map.keys()]).toEqual(['203.0.113.7', '2001:db8:0:0:0:0:0:7']);
    expect(normalizeAddress('[::ffff:203.0.113.7]')).toBe('203.0.113.7');
    expect(normalizeAddress('2001:0db8:0000:0000:0000:0000:0000:0007')).toBe('2001:db8:0:0:0:0:0:7');
    // A CNAME loop ends; it does not hang or match.
    const loop = miningCacheHits(
      [
        { name: 'a.example', entry: 'a.example', type: 'CNAME', data: 'b.example', ttlSec: 1 },
        { name: 'b.example', entry: 'b.example', type: 'CNAME', data: 'a.example', ttlSec: 1 },
      ],
      LIST,
    );
    expect(loop).toEqual([]);
  });
});

describe('dns step on Windows (fake PowerShell, captured-shape listing)', () => {
  it('reports each cached mining domain with the time it has left', async () => {
    const calls: string[][] = [];
    const run: ToolRunner = async (file, args) => {
      calls.push([file, ...args]);
      return { ok: true, stdout: WINDOWS_CACHE, stderr: '', code: 0, timedOut: false };
    };
    const r = await runDeepScan({ platform: 'win32', steps: ['dns'], runTool: run, domains: LIST, snapshot: noProcs });
    expect(calls).toEqual([
      ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', DNS_CACHE_SCRIPT],
    ]);
    expect(r.dnsCache).toMatchObject({ source: 'Get-DnsClientCache', readable: true, entries: 5 });
    expect(r.dnsCache?.hits.map((h) => [h.name, h.type, h.data, h.ttlSec])).toEqual([
      ['pool.supportxmr.com', 'CNAME', 'pool-lb.edge-net.example', 187],
      ['pool.supportxmr.com', 'A', '203.0.113.7', 187],
      ['xmr-eu1.nanopool.org', 'AAAA', '2001:db8::7', 55],
    ]);
    const f = r.findings.filter((x) => x.rule === 'cached-mining-domain');
    expect(f.map((x) => [x.severity, x.title])).toEqual([
      ['medium', 'pool.supportxmr.com was looked up on this machine (187 s left in the cache)'],
      ['medium', 'xmr-eu1.nanopool.org was looked up on this machine (55 s left in the cache)'],
    ]);
    expect(f[0]?.evidence).toContain(
      'pool.supportxmr.com A 203.0.113.7 (187 s left in the cache; on the mining-domain list as supportxmr.com)',
    );
    expect(r.steps.find((s) => s.id === 'dns')?.detail).toBe(
      '5 cached records from Get-DnsClientCache; 2 mining domains',
    );
  });

  it('says why when PowerShell cannot list the cache', async () => {
    const run: ToolRunner = async () => ({
      ok: false,
      stdout: '',
      stderr: '',
      code: 1,
      error: 'powershell.exe exited with code 1: Get-DnsClientCache : The term is not recognized',
      timedOut: false,
    });
    const r = await runDeepScan({ platform: 'win32', steps: ['dns'], runTool: run, domains: LIST, snapshot: noProcs });
    const step = r.steps.find((s) => s.id === 'dns');
    expect(step?.status).toBe('unavailable');
    expect(step?.detail).toBe(
      'resolver cache not readable: powershell.exe exited with code 1: Get-DnsClientCache : The term is not recognized',
    );
    expect(r.dnsCache?.readable).toBe(false);
  });
});

describe('dns step on Windows through the fake powershell.exe program', () => {
  const fake = join(dir, 'powershell.exe');
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'windows', 'fake-powershell.cjs'), fake);
  chmodSync(fake, 0o755);

  it('runs the one fixed command as a real process and reads its listing', async () => {
    const log = join(dir, 'ps-log.jsonl');
    process.env.FAKE_PS_DNS = join(REPO_ROOT, 'test', 'fixtures', 'windows', 'dns-client-cache.json');
    process.env.FAKE_PS_LOG = log;
    try {
      const r = await runDeepScan({
        platform: 'win32',
        steps: ['dns'],
        runTool: runFile,
        dns: { powershell: fake },
        domains: LIST,
        snapshot: noProcs,
      });
      expect(r.dnsCache?.hits.map((h) => `${h.name} ${h.type} ${h.data} ${h.ttlSec}`)).toEqual([
        'pool.supportxmr.com CNAME pool-lb.edge-net.example 187',
        'pool.supportxmr.com A 203.0.113.7 187',
        'xmr-eu1.nanopool.org AAAA 2001:db8::7 55',
      ]);
      const started = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { start: string; args: string[] });
      expect(started).toEqual([
        {
          start: 'dns',
          args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', DNS_CACHE_SCRIPT],
        },
      ]);
      delete process.env.FAKE_PS_DNS;
      const failed = await runDeepScan({
        platform: 'win32',
        steps: ['dns'],
        runTool: runFile,
        dns: { powershell: fake },
        domains: LIST,
        snapshot: noProcs,
      });
      expect(failed.steps.find((s) => s.id === 'dns')?.detail).toMatch(
        /^resolver cache not readable: .*powershell\.exe exited with code 1: Get-DnsClientCache : The term 'Get-DnsClientCache' is not recognized/,
      );
    } finally {
      delete process.env.FAKE_PS_DNS;
      delete process.env.FAKE_PS_LOG;
    }
  });
});

describe('dns step on Linux (a fake resolvectl, a real connection)', () => {
  let server: Server;
  let port = 0;
  let child: ChildProcess;

  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', () => resolve()));
    port = (server.address() as { port: number }).port;
    // A client that holds its connection open: it stands for a miner talking to its pool on any port.
    child = spawn(
      process.execPath,
      ['-e', `require('net').connect(${port}, '127.0.0.2').on('error', () => {}); setInterval(() => {}, 1000);`],
      { stdio: 'ignore' },
    );
    await waitFor(
      () => server.listening && (server as unknown as { _connections: number })._connections > 0,
      10_000,
      'the client to connect',
    );
  });
  afterAll(async () => {
    await killAndWait(child);
    server.close();
  });

  it('names the process connected to the address a cached mining name resolved to', async () => {
    const resolvectl = fakeResolvectl(
      'resolvectl',
      'Scope protocol=dns interface=eth0 ifindex=2\npool.supportxmr.com IN CNAME pool-lb.edge-net.example\npool-lb.edge-net.example IN A 127.0.0.2\nwww.example.com IN A 93.184.215.14\n',
    );
    const r = await runDeepScan({
      platform: 'linux',
      steps: ['processes', 'network', 'dns'],
      domains: LIST,
      dns: { resolvectl },
      hiddenProbe: false,
    });
    const hit = r.dnsCache?.hits.find((h) => h.type === 'A');
    expect(hit?.processes.map((p) => p.pid)).toContain(child.pid);
    const f = r.findings.find((x) => x.rule === 'cached-mining-domain' && x.process?.pid === child.pid);
    expect(f?.severity).toBe('high');
    expect(f?.title).toBe(`Connected to 127.0.0.2:${port}, which the resolver cache maps to pool.supportxmr.com`);
    expect(f?.evidence).toContain(
      'pool.supportxmr.com A 127.0.0.2 (time left not shown by the source; on the mining-domain list as supportxmr.com)',
    );
    expect(f?.actions[0]?.kind).toBe('kill');
  });

  it('says the cache is root-only, or the systemd too old, in words', async () => {
    const denied = fakeResolvectl(
      'resolvectl-denied',
      'Failed to issue DumpCache() varlink call: Permission denied\n',
      1,
    );
    const old = fakeResolvectl('resolvectl-old', "Unknown command verb 'show-cache'.\n", 1);
    for (const [tool, want] of [
      [
        denied,
        /^resolver cache not readable: systemd-resolved shows its cache to root only \(Failed to issue DumpCache\(\) varlink call: Permission denied\); run the scan as root to read it$/,
      ],
      [old, /^resolver cache not readable: this resolvectl has no show-cache \(added in systemd 254\)/],
    ] as const) {
      const r = await runDeepScan({
        platform: 'linux',
        steps: ['dns'],
        domains: LIST,
        dns: { resolvectl: tool },
        snapshot: noProcs,
      });
      const step = r.steps.find((s) => s.id === 'dns');
      expect(step?.status).toBe('unavailable');
      expect(step?.detail).toMatch(want);
    }
  });

  it.skipIf(systemResolvectl() !== null)(
    'on this machine (no systemd-resolved) says there is no cache to read',
    async () => {
      const r = await runDeepScan({ platform: 'linux', steps: ['dns'], domains: LIST, snapshot: noProcs });
      expect(r.steps.find((s) => s.id === 'dns')?.detail).toBe(
        'resolver cache not readable: resolvectl is not installed (no systemd-resolved): this system keeps no resolver cache a user can read',
      );
    },
  );
});

describe('dns step on macOS', () => {
  it('reads nothing and says why', async () => {
    let ran = false;
    const r = await runDeepScan({
      platform: 'darwin',
      steps: ['dns'],
      domains: LIST,
      snapshot: noProcs,
      runTool: async () => {
        ran = true;
        return { ok: false, stdout: '', stderr: '', code: 1, timedOut: false };
      },
    });
    expect(ran).toBe(false);
    expect(r.dnsCache?.detail).toMatch(/^macOS keeps its resolver cache inside mDNSResponder/);
  });
});
