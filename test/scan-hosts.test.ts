import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { blockDomainsOn } from '../main/engine/hosts/block-domains.js';
import { addressKind } from '../main/engine/hosts/hosts-redirects.js';
import { fixFinding } from '../main/engine/quarantine/fix-finding.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { type DeepScanOptions, runDeepScan } from '../main/engine/scan/deep-scan.js';
import { REPO_ROOT } from './captured.js';

const base = mkdtempSync(join(tmpdir(), 'iw-scan-hosts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const SHIPPED = join(REPO_ROOT, 'data', 'mining-domains.txt');
let n = 0;

function machine(hosts: string | null, platform: 'linux' | 'win32' = 'linux') {
  const root = join(base, `m${++n}`);
  const dataDir = join(base, `d${n}`);
  const dir = platform === 'win32' ? join(root, 'Windows', 'System32', 'drivers', 'etc') : join(root, 'etc');
  mkdirSync(dir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const path = join(dir, 'hosts');
  if (hosts !== null) writeFileSync(path, hosts);
  const scan = (opts: Partial<DeepScanOptions> = {}): Promise<ScanReport> =>
    runDeepScan({ platform, root, dataDir, steps: ['hosts'], domains: new DomainList([], 'test'), ...opts });
  return { root, dataDir, path, platform, scan };
}
const of = (r: ScanReport, rule: string): ScanFinding[] => r.findings.filter((f) => f.rule === rule);

describe('hosts step: redirected security and update sites', () => {
  it('reports each line that sends one nowhere or elsewhere, and nothing for ordinary lines', async () => {
    const m = machine(
      [
        '127.0.0.1 localhost',
        '::1 localhost ip6-localhost',
        '10.0.0.5 nas.home printer.home',
        '0.0.0.0 ads.example.net # an ad blocker line',
        '0.0.0.0 windowsupdate.com download.windowsupdate.com',
        '6.6.6.6 update.googleapis.com',
        '10.1.2.3 deb.debian.org',
        '127.0.0.1 www.kaspersky.com tracker.example',
        '# 0.0.0.0 eset.com (commented out)',
        ':: security.ubuntu.com',
        '',
      ].join('\n'),
    );
    const r = await m.scan();
    const found = of(r, 'hosts-redirect')
      .map((f) => [f.persistence?.line, f.severity, f.title])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(found).toEqual([
      [5, 'medium', 'The hosts file sends windowsupdate.com (Windows Update) to nowhere'],
      [6, 'high', 'The hosts file sends update.googleapis.com (Chrome updates) to another server'],
      [
        7,
        'high',
        'The hosts file sends deb.debian.org (Debian mirrors and security updates) to an address on the local network',
      ],
      [8, 'medium', 'The hosts file sends www.kaspersky.com (Kaspersky) to nowhere'],
      [10, 'medium', 'The hosts file sends security.ubuntu.com (Ubuntu mirrors and security updates) to nowhere'],
    ]);
    const kaspersky = of(r, 'hosts-redirect').find((f) => f.persistence?.line === 8)!;
    expect(kaspersky.evidence).toContain(
      'the same line also names tracker.example: removing the line removes them too',
    );
    expect(kaspersky.actions[0]).toEqual({ kind: 'remove-persistence', file: m.path, line: 8 });
    expect(r.steps.find((s) => s.id === 'hosts')?.detail).toMatch(
      /no Idlewatch block, 5 redirected security or update sites$/,
    );
  });

  it('tells nowhere, the local network and elsewhere apart, in IPv4 and IPv6', () => {
    expect(['0.0.0.0', '127.0.0.2', '::', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'].map(addressKind)).toEqual(
      Array(6).fill('nowhere'),
    );
    expect(['10.0.0.1', '172.16.5.5', '192.168.1.1', 'fd00::1', 'fe80::1'].map(addressKind)).toEqual(
      Array(5).fill('private'),
    );
    expect(['6.6.6.6', '172.32.0.1', '2001:db8::1'].map(addressKind)).toEqual(Array(3).fill('elsewhere'));
    expect(addressKind('not-an-address')).toBeNull();
  });

  it('finds the Windows hosts file and removes a redirecting line through the quarantine, the rest byte for byte', async () => {
    const before =
      '# Copyright (c) 1993-2009 Microsoft Corp.\r\n127.0.0.1 localhost\r\n0.0.0.0 definitionupdates.microsoft.com\r\n10.0.0.5 nas.home';
    const m = machine(before, 'win32');
    const f = of(await m.scan(), 'hosts-redirect')[0]!;
    expect(f.title).toBe(
      'The hosts file sends definitionupdates.microsoft.com (Microsoft Defender signatures) to nowhere',
    );
    const quarantine = await QuarantineStore.open(m.dataDir);
    const out = await fixFinding(f, {
      quarantine,
      kill: async () => {
        throw new Error('not here');
      },
    });
    const result = out?.result as { ok: boolean; quarantineId?: string; reason?: string };
    expect(result).toMatchObject({ ok: true });
    expect(readFileSync(m.path, 'latin1')).toBe(before.replace('0.0.0.0 definitionupdates.microsoft.com\r\n', ''));
    expect(of(await m.scan(), 'hosts-redirect')).toEqual([]);
    expect((await quarantine.restore(result.quarantineId!)).ok).toBe(true);
    expect(readFileSync(m.path, 'latin1')).toBe(before);
  });
});

describe("hosts step: Idlewatch's block, tampered with", () => {
  it('an intact block is no finding; an edited one is high, a removed one medium', async () => {
    const m = machine('127.0.0.1 localhost\n');
    const opts = { dataDir: m.dataDir, root: m.root, platform: 'linux' as const, shippedFile: SHIPPED };
    expect((await blockDomainsOn(opts)).ok).toBe(true);
    const intact = await m.scan();
    expect(intact.findings).toEqual([]);
    expect(intact.steps.find((s) => s.id === 'hosts')?.detail).toMatch(/Idlewatch block present, 0 redirected/);

    const written = readFileSync(m.path, 'utf8');
    writeFileSync(m.path, written.replace('0.0.0.0 coinhive.com\n:: coinhive.com\n', ''));
    const edited = of(await m.scan(), 'hosts-tamper');
    expect(edited.map((f) => [f.severity, f.title])).toEqual([
      ['high', "Idlewatch's block of mining domains in the hosts file was changed"],
    ]);

    writeFileSync(m.path, '127.0.0.1 localhost\n');
    const removed = of(await m.scan(), 'hosts-tamper');
    expect(removed.map((f) => [f.severity, f.title])).toEqual([
      ['medium', "Idlewatch's block of mining domains was removed from the hosts file"],
    ]);
    // Another data folder has no record: a missing block there is nobody's business.
    expect(of(await m.scan({ dataDir: join(base, 'elsewhere') }), 'hosts-tamper')).toEqual([]);
  });

  it('a redirect hidden inside the block is both tampering and a redirect', async () => {
    const m = machine('127.0.0.1 localhost\n');
    await blockDomainsOn({ dataDir: m.dataDir, root: m.root, platform: 'linux', shippedFile: SHIPPED });
    writeFileSync(
      m.path,
      readFileSync(m.path, 'utf8').replace(':: coinhive.com\n', ':: coinhive.com\n0.0.0.0 eset.com\n'),
    );
    const r = await m.scan({ dataDir: null });
    expect(of(r, 'hosts-tamper').map((f) => f.title)).toEqual([
      "Idlewatch's block in the hosts file holds lines Idlewatch did not write",
    ]);
    expect(of(r, 'hosts-redirect').map((f) => f.title)).toEqual(['The hosts file sends eset.com (ESET) to nowhere']);
  });

  it('a block without its end marker is reported, not guessed at', async () => {
    const m = machine('127.0.0.1 localhost\n# >>> Idlewatch: blocked mining domains >>>\n0.0.0.0 coinhive.com\n');
    const r = await m.scan();
    expect(of(r, 'hosts-tamper').map((f) => [f.severity, f.title])).toEqual([
      [
        'high',
        "Idlewatch's block in the hosts file is broken: the Idlewatch block started at line 2 has no end marker, so where it ends cannot be told",
      ],
    ]);
  });

  it('a hosts file that is a FIFO is a problem, not a hang; a missing one is fine', async () => {
    const { execFileSync } = await import('node:child_process');
    const m = machine(null);
    execFileSync('mkfifo', [m.path]);
    const r = await m.scan();
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(
      /hosts: a named pipe \(FIFO\), not a file|hosts is a named pipe/,
    );
    expect(r.steps.find((s) => s.id === 'hosts')?.status).toBe('partial');
    const none = machine(null);
    expect((await none.scan()).steps.find((s) => s.id === 'hosts')).toMatchObject({
      status: 'ok',
      detail: `${none.path} does not exist`,
    });
  });
});
