/**
 * The built CLI: `idlewatch scan` lists each installed browser with its version and verdict (on a
 * Debian machine Chromium from the system package), the OS update state or why it is unknown, and
 * the DNS cache or why it cannot be read; the HTML report shows the same, escaped; `idlewatch probe`
 * says whether the resolver cache works as a source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../shared/scan.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const linux = process.platform === 'linux';
const dir = mkdtempSync(join(tmpdir(), 'iw-cli-software-'));
const env = { ...process.env, PATH: '/usr/bin:/bin', DISPLAY: '', XDG_DATA_HOME: join(dir, 'data') };

beforeAll(() => {
  requireBuiltCli();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chromiumPackage(): string | null {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

describe.skipIf(!linux)('idlewatch scan: software and DNS', () => {
  const chromium = chromiumPackage();

  it.skipIf(!chromium)(
    'lists Chromium from the system package with its verdict, the OS update state and the DNS cache',
    () => {
      const r = spawnSync(process.execPath, [CLI, 'scan'], { env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(0);
      const upstream = chromium?.split('-')[0] ?? '';
      expect(r.stdout).toMatch(/^Installed browsers \(support table written 2025-06-30, \d+ days ago/m);
      expect(r.stdout).toContain(`  Chromium ${upstream}: no verdict: the support table was written on 2025-06-30`);
      expect(r.stdout).toContain(`    read from dpkg: chromium ${chromium}`);
      expect(r.stdout).toMatch(/^OS updates: (last installed \d{4}-\d{2}-\d{2} \(|unknown: )/m);
      expect(r.stdout).toMatch(/^DNS cache: resolvectl show-cache: /m);
      expect(r.stderr).toMatch(/Software currency \(browsers, OS updates\): 1 browser \(Chromium /);
    },
  );

  it('writes the same into the HTML report, escaped, for a root with an outdated browser', () => {
    const root = join(dir, 'root');
    const put = (path: string, text: string): void => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put(
      'var/lib/dpkg/status',
      'Package: firefox-esr\nStatus: install ok installed\nVersion: 115.3.0esr-1<script>alert(1)</script>\n',
    );
    put(
      'var/log/apt/history.log',
      'Start-Date: 2025-01-02  03:04:05\nUpgrade: a:amd64 (1, 2)\nEnd-Date: 2025-01-02  03:04:06\n',
    );
    const html = join(dir, 'report.html');
    const r = spawnSync(process.execPath, [CLI, 'scan', '--json', '--root', root, '--html', html], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as ScanReport;
    expect(report.software?.browsers.map((b) => [b.label, b.version])).toEqual([['Firefox ESR', '115.3.0']]);
    expect(report.software?.os.lastInstalled?.slice(0, 4)).toBe('2025');
    expect(report.software?.os.state).toBe('stale');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Software currency</h2>');
    expect(page).toContain('<h2>DNS cache</h2>');
    expect(page).toContain('dpkg: firefox-esr 115.3.0esr-1&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
    expect(page).toMatch(/No operating-system updates installed for \d+ days/);
  });

  it('probe says whether the resolver cache works, and why not', () => {
    const r = spawnSync(process.execPath, [CLI, 'probe', '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const sources = (
      JSON.parse(r.stdout) as {
        sources: { id: string; kind: string; availability: { ok: boolean; reason?: string } }[];
      }
    ).sources;
    const dns = sources.find((s) => s.id === 'resolver-cache');
    expect(dns?.kind).toBe('dns');
    if (!existsSync('/usr/bin/resolvectl') && !existsSync('/bin/resolvectl')) {
      expect(dns?.availability).toEqual({
        ok: false,
        reason:
          'resolvectl show-cache: resolvectl is not installed (no systemd-resolved): this system keeps no resolver cache a user can read',
      });
    }
    const text = spawnSync(process.execPath, [CLI, 'probe'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(text.stdout).toContain('DNS resolver cache (an address looked up as a mining domain is pool evidence)');
  });
});
