/**
 * The software step: browsers found per platform (dpkg on this machine, a fixture root with
 * package and log files, a real PE executable's version resource, an XML Info.plist), judged
 * against the support table, and the OS update state from apt, dpkg, update-notifier, Get-HotFix
 * and InstallHistory.plist.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { rootOwnedPath } from '../main/engine/scan/software/inventory.js';
import {
  lastAptUpgrade,
  lastDnfUpgrade,
  parseHotFixes,
  parseUpdatesAvailable,
} from '../main/engine/scan/software/os-updates.js';
import { readPeVersion } from '../main/engine/scan/software/pe-version.js';
import {
  judgeVersion,
  parseSupportTable,
  shippedSupportTablePath,
  type SupportTable,
} from '../main/engine/scan/software/support-table.js';
import { compareVersions, upstreamVersion } from '../main/engine/scan/software/versions.js';
import type { ToolRunner } from '../main/engine/scan/windows-persistence.js';
import type { RunResult } from '../main/engine/util/exec.js';
import { REPO_ROOT } from './captured.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-software-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TABLE_FILE = join(REPO_ROOT, 'data', 'browser-support.json');
const table = (): SupportTable => parseSupportTable(readFileSync(TABLE_FILE, 'utf8'), TABLE_FILE);
/** Two weeks after the table was written: young enough to judge by. */
const FRESH = Date.parse('2025-07-14T12:00:00Z');
const noDomains = new DomainList([], 'test');
const noProcs = async () => ({ procs: [], listed: new Set<number>(), unreadable: 0 });

function put(root: string, path: string, content: string | Buffer): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const ok = (stdout: string): RunResult => ({ ok: true, stdout, stderr: '', code: 0, timedOut: false });
const failed = (error: string): RunResult => ({ ok: false, stdout: '', stderr: '', code: 1, error, timedOut: false });

describe('support table', () => {
  it('is shipped with its date, and a source for every entry', () => {
    expect(shippedSupportTablePath()).toBe(TABLE_FILE);
    const t = table();
    expect(t.written).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const e of t.entries) expect(e.source).toMatch(/https:\/\//);
    const readme = readFileSync(join(REPO_ROOT, 'data', 'README.md'), 'utf8');
    expect(readme).toContain('browser-support.json');
    expect(readme).toContain(t.written);
  });

  it('gives the verdicts the issue asks for while it is young', () => {
    const t = table();
    expect(judgeVersion(t, 'firefox', 'esr', '115.3.0', FRESH)).toEqual({
      verdict: 'unsupported',
      verdictText:
        'this branch (115) gets security fixes only on Windows 7 to 8.1 and macOS 10.12 to 10.14; elsewhere move to ESR 128 or 140; update it',
    });
    expect(judgeVersion(t, 'firefox', 'esr', '102.15.1', FRESH).verdictText).toBe(
      'this branch stopped getting security fixes on 2023-09-26; update it',
    );
    expect(judgeVersion(t, 'firefox', 'release', '139.0.4', FRESH).verdictText).toBe(
      'this branch stopped getting security fixes on 2025-06-24; update it',
    );
    expect(judgeVersion(t, 'chromium', 'stable', '120.0.6099.224', FRESH)).toEqual({
      verdict: 'unsupported',
      verdictText: 'this branch is older than 138, the oldest one getting security fixes on 2025-06-30; update it',
    });
    expect(judgeVersion(t, 'chrome', 'stable', '138.0.7204.49', FRESH).verdict).toBe('supported');
    expect(judgeVersion(t, 'brave', 'release', '1.80.113', FRESH).verdict).toBe('supported');
    expect(judgeVersion(t, 'brave', 'release', '1.79.126', FRESH).verdict).toBe('unsupported');
    expect(judgeVersion(t, 'opera', 'stable', '119.0.5497.88', FRESH).verdictText).toMatch(
      /^no verdict: Opera's release dates/,
    );
    expect(judgeVersion(t, 'chrome', 'beta', '139.0.1', FRESH).verdictText).toBe(
      'no verdict: the support table has no entry for chrome (beta)',
    );
  });

  it('gives no verdict once it is more than 90 days old, and says so', () => {
    const t = table();
    const late = Date.parse('2026-12-07T12:00:00Z');
    const v = judgeVersion(t, 'firefox', 'esr', '115.3.0', late);
    expect(v.verdict).toBe('unknown');
    expect(v.verdictText).toBe(
      `no verdict: the support table was written on 2025-06-30, 525 days ago (more than 90); check the vendor's release page or update Idlewatch`,
    );
    expect(judgeVersion(t, 'firefox', 'esr', '115.3.0', Date.parse('2025-09-28T12:00:00Z')).verdict).toBe(
      'unsupported',
    );
    expect(judgeVersion(t, 'firefox', 'esr', '115.3.0', Date.parse('2025-09-29T12:00:00Z')).verdict).toBe('unknown');
  });

  it('refuses a malformed table with one line naming the file and the fault', () => {
    expect(() => parseSupportTable('{', 'x.json')).toThrow(/^x\.json: not valid JSON/);
    const good = JSON.parse(readFileSync(TABLE_FILE, 'utf8')) as Record<string, unknown>;
    expect(() => parseSupportTable(JSON.stringify({ ...good, written: 'June' }), 'x.json')).toThrow(
      'x.json: "written" is not a date (YYYY-MM-DD)',
    );
    const browsers = [{ ...(good.browsers as object[])[0], ended: { '120': 'soon' } }];
    expect(() => parseSupportTable(JSON.stringify({ ...good, browsers }), 'x.json')).toThrow(
      'x.json: browsers[0].ended must map branches to dates (YYYY-MM-DD)',
    );
  });

  it('reads package versions as the vendor numbers them', () => {
    expect(upstreamVersion('156.0.8078.129-1~deb12u1')).toEqual({ version: '156.0.8078.129', esr: false });
    expect(upstreamVersion('1:128.12.0esr-1~deb12u1')).toEqual({ version: '128.12.0', esr: true });
    expect(upstreamVersion('140.0-2')).toEqual({ version: '140.0', esr: false });
    expect(compareVersions('138', '138.0')).toBe(0);
    expect(compareVersions('138', '138.0.7204.49')).toBe(-1);
    expect(compareVersions('1.79', '1.80')).toBe(-1);
    expect(compareVersions('140', '128')).toBe(1);
  });
});

describe('software step on this machine', () => {
  const dpkgVersion = (pkg: string): string | null => {
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
      return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim() || null;
    } catch {
      return null;
    }
  };
  const chromium = dpkgVersion('chromium');

  it.skipIf(!chromium)('lists Chromium from the system package, with the table too old to judge by today', async () => {
    const r = await runDeepScan({ steps: ['software'], domains: noDomains, snapshot: noProcs });
    const b = r.software?.browsers.find((x) => x.browser === 'chromium');
    expect(b).toBeDefined();
    expect(b?.version).toBe(chromium?.split('-')[0]);
    expect(b?.source).toBe(`dpkg: chromium ${chromium}`);
    expect(b?.verdict).toBe('unknown');
    expect(b?.verdictText).toMatch(/^no verdict: the support table was written on 2025-06-30, \d+ days ago/);
    expect(r.software?.table?.tooOld).toBe(true);
    const step = r.steps.find((s) => s.id === 'software');
    expect(step?.detail).toContain(`Chromium ${chromium?.split('-')[0]}`);
    expect(step?.detail).toMatch(/no verdicts: the support table is \d+ days old/);
    expect(step?.status).toBe('partial');
    // apt's history exists on Debian: the OS state is known, or its notes say why not.
    const os = r.software?.os;
    expect(os?.state === 'unknown' ? os.notes.length : os?.lastInstalled).toBeTruthy();
  });

  it.skipIf(!chromium)('judges it when the table is young (a scan dated two weeks after the table)', async () => {
    const r = await runDeepScan({ steps: ['software'], domains: noDomains, snapshot: noProcs, now: () => FRESH });
    const b = r.software?.browsers.find((x) => x.browser === 'chromium');
    // This machine's Chromium is newer than the table's floor of 138.
    expect(b?.verdict).toBe('supported');
    expect(b?.verdictText).toBe(
      `branch ${b?.version.split('.')[0]} was getting security fixes on 2025-06-30 (the oldest such: 138)`,
    );
  });
});

describe('software step on a Debian-like root', () => {
  const root = join(dir, 'debian');
  const status = [
    'Package: firefox-esr\nStatus: install ok installed\nVersion: 115.3.0esr-1~deb11u1\n',
    'Package: chromium\nStatus: install ok installed\nVersion: 120.0.6099.224-1~deb12u1\nDescription: web browser\n with a continuation line mentioning Package: vivaldi-stable',
    'Package: google-chrome-stable\nStatus: deinstall ok config-files\nVersion: 100.0.4896.60-1\n',
    'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n',
  ].join('\n');
  put(root, 'var/lib/dpkg/status', status);
  // Local time, as apt writes it.
  put(
    root,
    'var/log/apt/history.log',
    'Start-Date: 2025-07-10  09:00:00\nCommandline: apt-get install jq\nInstall: jq:amd64 (1.6-2.1)\nEnd-Date: 2025-07-10  09:00:05\n',
  );
  put(
    root,
    'var/log/apt/history.log.1.gz',
    gzipSync(
      'Start-Date: 2025-05-01  08:00:00\nCommandline: apt-get upgrade\nUpgrade: libc6:amd64 (2.36-8, 2.36-9), openssl:amd64 (3.0.15-1, 3.0.16-1)\nEnd-Date: 2025-05-01  08:01:00\n',
    ),
  );
  put(
    root,
    'var/log/dpkg.log',
    '2025-04-20 10:00:00 upgrade bash:amd64 5.2-1 5.2-2\n2025-07-10 09:00:01 install jq:amd64 <none> 1.6-2.1\n',
  );
  put(
    root,
    'var/lib/update-notifier/updates-available',
    '\n14 updates can be applied immediately.\n6 of these updates are standard security updates.\nTo see these additional updates run: apt list --upgradable\n',
  );

  it('finds the packaged browsers, judges them, and reports the last upgrade and waiting security updates', async () => {
    const r = await runDeepScan({
      platform: 'linux',
      root,
      steps: ['software'],
      domains: noDomains,
      snapshot: noProcs,
      now: () => FRESH,
      runTool: async () => failed('not run in this test'),
    });
    const sw = r.software;
    expect(sw?.browsers.map((b) => [b.label, b.version, b.verdict])).toEqual([
      ['Firefox ESR', '115.3.0', 'unsupported'],
      ['Chromium', '120.0.6099.224', 'unsupported'],
    ]);
    const titles = r.findings.map((f) => f.title);
    expect(titles).toContain(
      'Firefox ESR 115.3.0 — this branch (115) gets security fixes only on Windows 7 to 8.1 and macOS 10.12 to 10.14; elsewhere move to ESR 128 or 140; update it',
    );
    expect(titles).toContain(
      'Chromium 120.0.6099.224 — this branch is older than 138, the oldest one getting security fixes on 2025-06-30; update it',
    );
    expect(sw?.os.lastInstalled).toBe(new Date(2025, 4, 1, 8, 0, 0).toISOString());
    expect(sw?.os.source).toBe('/var/log/apt/history.log.1.gz');
    expect(sw?.os.what).toBe('2 packages upgraded');
    expect(sw?.os.state).toBe('stale');
    expect(sw?.os.pendingSecurity).toBe(6);
    expect(sw?.os.pending).toBe(14);
    expect(titles).toContain('6 security updates waiting to be installed');
    expect(titles.some((t) => /^No operating-system updates installed for 7\d days$/.test(t))).toBe(true);
    for (const f of r.findings) expect(f.actions[0]?.kind).toBe('manual');
    expect(r.steps.find((x) => x.id === 'software')?.status).toBe('ok');
  });

  it('refuses a rotated log that decompresses past its cap (a gzip bomb) and goes on', async () => {
    const bomb = join(dir, 'bomb');
    put(bomb, 'var/lib/dpkg/status', status);
    put(bomb, 'var/log/apt/history.log', '');
    put(bomb, 'var/log/apt/history.log.1.gz', gzipSync(Buffer.alloc(40 * 1024 * 1024)));
    put(bomb, 'var/log/dpkg.log', '2025-07-01 10:00:00 upgrade bash:amd64 5.2-1 5.2-2\n');
    const r = await runDeepScan({
      platform: 'linux',
      root: bomb,
      steps: ['software'],
      domains: noDomains,
      snapshot: noProcs,
      now: () => FRESH,
      runTool: async () => failed('not run'),
    });
    expect(r.problems.some((p) => p.message.startsWith('cannot decompress /var/log/apt/history.log.1.gz'))).toBe(true);
    expect(r.software?.os.source).toBe('/var/log/dpkg.log');
    expect(r.software?.os.state).toBe('recent');
  });

  it('parses apt, dnf and update-notifier text', () => {
    expect(lastAptUpgrade('Start-Date: 2025-01-02  03:04:05\nInstall: x (1)\n')).toBeNull();
    expect(lastDnfUpgrade('2025-06-24T14:36:25+0000 SUBDEBUG Upgrade: kernel-6.9.5-200.fc40.x86_64\n')).toBe(
      Date.parse('2025-06-24T14:36:25+00:00'),
    );
    expect(parseUpdatesAvailable('0 updates can be applied immediately.\n')).toEqual({ pending: 0, security: 0 });
    expect(parseUpdatesAvailable('garbage')).toBeNull();
  });
});

describe('a program is run for its version only from a root-owned path', () => {
  it('refuses a fake browser in a folder others may write (a planted "chrome")', async () => {
    const fake = put(dir, 'planted/chrome', '#!/bin/sh\necho "Google Chrome 999.0.0.0"\n');
    chmodSync(fake, 0o755);
    // tmpdir() is world-writable (mode 1777): nothing under it may be trusted to run.
    expect(await rootOwnedPath(fake)).toBe(false);
    expect(await rootOwnedPath('/usr/bin/env')).toBe(process.getuid?.() !== undefined && existsSync('/usr/bin/env'));
  });
});

describe('software step on Windows (version resource, Get-HotFix)', () => {
  const exe7z = join(REPO_ROOT, 'node_modules', 'electron-winstaller', 'vendor', '7z-x64.exe');
  const have = existsSync(exe7z);

  it('reads ProductVersion from a real PE file and refuses what is not one', () => {
    if (!have) return;
    const v = readPeVersion(readFileSync(exe7z));
    // `strings -el 7z-x64.exe` shows ProductVersion 16.04.
    expect(v).toMatchObject({ productVersion: '16.04' });
    expect(readPeVersion(Buffer.from('#!/bin/sh\n'))).toEqual({ error: 'not a Windows executable (no MZ header)' });
    const truncated = readFileSync(exe7z).subarray(0, 4096);
    expect('error' in readPeVersion(truncated)).toBe(true);
  });

  it.skipIf(!have)('finds browsers under Program Files and LOCALAPPDATA and reads the update history', async () => {
    const pf = join(dir, 'win', 'Program Files');
    const local = join(dir, 'win', 'Users', 'ana', 'AppData', 'Local');
    // Any PE with a version resource stands in for chrome.exe: the parser reads what the file says.
    mkdirSync(join(pf, 'Google', 'Chrome', 'Application'), { recursive: true });
    copyFileSync(exe7z, join(pf, 'Google', 'Chrome', 'Application', 'chrome.exe'));
    put(local, 'Vivaldi/Application/vivaldi.exe', 'MZ but not really a program');
    const hotfixes = JSON.stringify([
      { id: 'KB5034441', kind: 'Security Update', on: '2025-06-11T00:00:00.0000000+02:00' },
      { id: 'KB5039212', kind: 'Update', on: '2025-07-01T00:00:00.0000000+02:00' },
    ]);
    const calls: string[] = [];
    const run: ToolRunner = async (file, args) => {
      calls.push(file);
      return file === 'powershell.exe' && args.some((a) => a.startsWith('Get-HotFix')) ? ok(hotfixes) : failed('no');
    };
    const r = await runDeepScan({
      platform: 'win32',
      steps: ['software'],
      domains: noDomains,
      snapshot: noProcs,
      runTool: run,
      now: () => FRESH,
      software: { env: { ProgramFiles: pf, LOCALAPPDATA: local } },
    });
    expect(r.software?.browsers).toEqual([
      expect.objectContaining({
        browser: 'chrome',
        version: '16.04',
        verdict: 'unsupported',
        path: join(pf, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      }),
    ]);
    expect(r.problems.map((p) => p.message)).toContain(
      `${join(local, 'Vivaldi', 'Application', 'vivaldi.exe')}: not a PE file (no PE signature)`,
    );
    expect(r.software?.os).toMatchObject({
      state: 'recent',
      what: 'KB5034441 (Security Update)',
      source: 'Get-HotFix',
      pendingSecurity: null,
    });
    expect(r.software?.os.notes.join(' ')).toMatch(/asks Microsoft's servers/);
    expect(calls).toEqual(['powershell.exe']);
    expect(parseHotFixes('{"id":"KB1","kind":"Update","on":"2025-01-01T00:00:00Z"}')).toHaveLength(1);
  });
});

describe('software step on macOS (Info.plist, InstallHistory.plist)', () => {
  it('reads CFBundleShortVersionString, tells Firefox ESR by its channel file, and the last Software Update install', async () => {
    const root = join(dir, 'mac');
    const info = (v: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n\t<key>CFBundleIdentifier</key>\n\t<string>org.mozilla.firefox</string>\n\t<key>CFBundleShortVersionString</key>\n\t<string>${v}</string>\n</dict>\n</plist>\n`;
    put(root, 'Applications/Firefox.app/Contents/Info.plist', info('115.3.0'));
    put(
      root,
      'Applications/Firefox.app/Contents/Resources/defaults/pref/channel-prefs.js',
      'pref("app.update.channel", "esr");\n',
    );
    put(root, 'Users/ana/Applications/Google Chrome.app/Contents/Info.plist', info('138.0.7204.50'));
    put(
      root,
      'Library/Receipts/InstallHistory.plist',
      `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<array>\n<dict><key>date</key><date>2025-05-20T10:00:00Z</date><key>displayName</key><string>macOS Sequoia 15.5</string><key>displayVersion</key><string>15.5</string><key>processName</key><string>softwareupdated</string></dict>\n<dict><key>date</key><date>2025-07-01T10:00:00Z</date><key>displayName</key><string>Some App</string><key>processName</key><string>installer</string></dict>\n</array>\n</plist>\n`,
    );
    const r = await runDeepScan({
      platform: 'darwin',
      root,
      steps: ['software'],
      domains: noDomains,
      snapshot: noProcs,
      now: () => FRESH,
      runTool: async () => failed('not run'),
      software: { homes: ['/Users/ana'] },
    });
    expect(r.software?.browsers.map((b) => [b.label, b.version, b.verdict])).toEqual([
      ['Firefox ESR', '115.3.0', 'unsupported'],
      ['Google Chrome', '138.0.7204.50', 'supported'],
    ]);
    expect(r.software?.os).toMatchObject({
      lastInstalled: '2025-05-20T10:00:00.000Z',
      what: 'macOS Sequoia 15.5 15.5',
      state: 'stale',
    });
  });
});
