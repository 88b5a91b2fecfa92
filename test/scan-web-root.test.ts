import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { type DomainList, loadMiningDomains } from '../main/engine/detect/mining-domains.js';
import { fixFinding } from '../main/engine/quarantine/fix-finding.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { type DeepScanOptions, runDeepScan } from '../main/engine/scan/deep-scan.js';
import { analyseWebFile } from '../main/engine/scan/web-root/miner-rules.js';
import { apacheRoots, caddyRoots, nginxRoots } from '../main/engine/scan/web-root/server-roots.js';
import { REPO_ROOT } from './captured.js';
import { writeWebRootCorpus } from './scenarios/webroot-corpus.js';

const base = mkdtempSync(join(tmpdir(), 'iw-webroot-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let domains: DomainList;
beforeAll(async () => {
  domains = (await loadMiningDomains({ shippedFile: join(REPO_ROOT, 'data', 'mining-domains.txt') })).list;
});

function scan(opts: Partial<DeepScanOptions>): Promise<ScanReport> {
  return runDeepScan({ platform: 'linux', steps: ['web-root'], domains, root: base, ...opts });
}
const miners = (r: ScanReport): ScanFinding[] => r.findings.filter((f) => f.rule === 'web-miner');
const kill = async () => {
  throw new Error('no kill in these tests');
};

describe('web-root check on a generated site tree', () => {
  it('finds every injected miner on its line, in every form, and flags no clean look-alike', async () => {
    const site = join(base, 'corpus');
    const truth = writeWebRootCorpus(site);
    const report = await scan({ webRoots: [site] });
    const found = miners(report);
    for (const t of truth.injected) {
      const file = join(site, t.file);
      const f = found.find((x) => x.persistence?.file === file || x.evidence[0]?.startsWith(`file: ${file} `));
      expect(f, `${t.form} (${t.file}) not found`).toBeDefined();
      expect(f!.title, t.form).toContain(`${file}:${t.line}:`);
      expect(f!.severity).toBe('high');
      // The fix is offered only where the injection is alone on its line.
      expect(f!.actions[0]?.kind, t.form).toBe(t.removable ? 'remove-persistence' : 'manual');
    }
    const flaggedFiles = new Set(found.map((f) => f.evidence[0]?.slice(6).split(' (web root')[0]));
    for (const c of truth.clean) expect(flaggedFiles.has(join(site, c.file)), `${c.lookalike} flagged`).toBe(false);
    expect(flaggedFiles.size).toBe(truth.injected.length);
    expect(report.steps.find((s) => s.id === 'web-root')).toMatchObject({ status: 'ok' });
  });

  it('names how each miner was hidden', () => {
    const hidden = (code: string) => analyseWebFile(code, 'js', domains).flatMap((h) => h.hidden);
    expect(hidden(`eval(atob('${Buffer.from("new CoinHive.Anonymous('k')").toString('base64')}'))`)).toEqual([
      'eval of a built string',
      'base64',
    ]);
    expect(hidden("x = 'coin' + 'hive.com'")).toEqual(['string concatenation']);
    expect(hidden("x = '\\x63oinhive.com'")).toEqual(['escape sequences']);
  });

  it('a fix removes the injected line through the quarantine, the rest byte for byte, and restore puts it back', async () => {
    const site = join(base, 'fixsite');
    mkdirSync(site);
    const before =
      '<html>\r\n<body>\r\n<p>caf\xe9</p>\r\n<script src="https://coinhive.com/lib/coinhive.min.js"></script>\r\n</body>\r\n</html>';
    const file = join(site, 'index.html');
    writeFileSync(file, Buffer.from(before, 'latin1'));
    const f = miners(await scan({ webRoots: [site] }))[0]!;
    expect(f.actions[0]).toEqual({ kind: 'remove-persistence', file, line: 4 });
    const quarantine = await QuarantineStore.open(join(base, 'data-fix'));
    const out = await fixFinding(f, { quarantine, kill });
    expect(out?.kind).toBe('remove-persistence');
    const result = out?.result as { ok: boolean; quarantineId?: string };
    expect(result.ok).toBe(true);
    const expected = before.replace('<script src="https://coinhive.com/lib/coinhive.min.js"></script>\r\n', '');
    expect(readFileSync(file).equals(Buffer.from(expected, 'latin1'))).toBe(true);
    expect(miners(await scan({ webRoots: [site] }))).toEqual([]);
    const restored = await quarantine.restore(result.quarantineId!);
    expect(restored.ok).toBe(true);
    expect(readFileSync(file).equals(Buffer.from(before, 'latin1'))).toBe(true);
  });
});

describe('document roots from web-server configs', () => {
  it('reads nginx root, Apache DocumentRoot and Caddy root, skipping comments and variables', () => {
    expect(
      nginxRoots(
        'server {\n  root /var/www/html;\n  # root /old;\n  location / { root "/srv/a b"; }\n  root $document_root;\n}',
      ),
    ).toEqual(['/var/www/html', '/srv/a b']);
    expect(
      apacheRoots(
        '<VirtualHost *:80>\n\tDocumentRoot "/var/www/site"\n#DocumentRoot /nope\n  documentroot /srv/x\n</VirtualHost>',
      ),
    ).toEqual(['/var/www/site', '/srv/x']);
    expect(
      caddyRoots(
        'example.com {\n\troot * /srv/caddy\n\tfile_server\n}\nold.example {\n  root /srv/v1\n}\nx {\n root * {env.SITE}\n}',
      ),
    ).toEqual(['/srv/caddy', '/srv/v1']);
  });

  it('searches the roots found in nginx, Apache and Caddy configs under the scan root', async () => {
    const root = join(base, 'machine');
    const put = (p: string, text: string) => {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), text);
    };
    put('etc/nginx/sites-enabled/shop', 'server { listen 80; root /var/www/shop; }\n');
    put(
      'etc/apache2/sites-enabled/000-default.conf',
      '<VirtualHost *:80>\nDocumentRoot /var/www/html\n</VirtualHost>\n',
    );
    put('etc/caddy/Caddyfile', 'blog.example {\n\troot * /srv/blog\n\tfile_server\n}\n');
    put('var/www/shop/index.html', '<script src="https://coinhive.com/lib/coinhive.min.js"></script>\n');
    put('var/www/html/index.php', '<?php echo \'<script src="https://crypto-loot.com/lib/m.js"></script>\'; ?>\n');
    put('srv/blog/app.js', "var w = new WebSocket('wss://ppoi.org/p');\n");
    put('srv/blog/clean.js', "var w = new WebSocket('wss://chat.example.org/p');\n");
    const r = await scan({ root });
    const found = miners(r).map((f) => relative(root, f.persistence?.file ?? ''));
    expect(miners(r).every((f) => f.actions[0]?.kind === 'remove-persistence')).toBe(true);
    expect(found.sort()).toEqual(['srv/blog/app.js', 'var/www/html/index.php', 'var/www/shop/index.html']);
    expect(miners(r).find((f) => f.persistence?.file?.endsWith('shop/index.html'))?.evidence[0]).toMatch(
      /from nginx: .*etc\/nginx\/sites-enabled\/shop\)$/,
    );
    expect(r.steps.find((s) => s.id === 'web-root')?.detail).toMatch(
      /^3 web roots .*4 files read, 3 injected miner lines$/,
    );
  });
});

describe('a hostile web root cannot hang or flood the check', () => {
  it('FIFOs, links to devices and out of the root, link loops, huge files and deep folders are skipped or reported', async () => {
    const site = join(base, 'hostile');
    const outside = join(base, 'outside');
    mkdirSync(join(site, 'sub'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    execFileSync('mkfifo', [join(site, 'pipe.js')]);
    symlinkSync('/dev/zero', join(site, 'zero.js'));
    writeFileSync(join(outside, 'secret.js'), "fetch('https://coinhive.com/lib/x.js')\n");
    symlinkSync(join(outside, 'secret.js'), join(site, 'out.js'));
    symlinkSync(site, join(site, 'sub', 'loop'));
    writeFileSync(join(site, 'inner.js'), "importScripts('https://coinimp.com/w.js');\n");
    symlinkSync(join(site, 'inner.js'), join(site, 'alias.js'));
    writeFileSync(join(site, 'big.js'), Buffer.alloc(3 * 1024 * 1024, 0x20));
    let deep = site;
    for (let i = 0; i < 6; i++) deep = join(deep, `d${i}`);
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'deep.js'), "fetch('https://coinhive.com/x.js')\n");
    const t0 = Date.now();
    const r = await scan({ webRoots: [site], webRootLimits: { maxDepth: 4, maxFileBytes: 2 * 1024 * 1024 } });
    expect(Date.now() - t0).toBeLessThan(20_000);
    const files = miners(r).map((f) => f.persistence?.file ?? f.evidence[0]);
    // The file inside the root, and its link that stays inside; never the file outside, never deeper than allowed.
    expect(files.sort()).toEqual([join(site, 'alias.js'), join(site, 'inner.js')]);
    const messages = r.problems.map((p) => p.message).join('\n');
    expect(messages).toMatch(/pipe\.js is a FIFO, socket or device, not a file; not read/);
    expect(messages).toMatch(/big\.js: 3 MB, too large to check \(the limit is 2 MB\)/);
    expect(messages).toMatch(/deeper than 4 folders; not searched/);
    expect(r.steps.find((s) => s.id === 'web-root')?.detail).toMatch(/2 links out of the root not followed/);
  });

  it('stops at the file cap and says so', async () => {
    const site = join(base, 'many');
    mkdirSync(site);
    for (let i = 0; i < 30; i++) writeFileSync(join(site, `f${i}.js`), 'var x = 1;\n');
    const r = await scan({ webRoots: [site], webRootLimits: { maxFiles: 10 } });
    expect(r.steps.find((s) => s.id === 'web-root')).toMatchObject({ status: 'partial' });
    expect(r.problems.map((p) => p.message)).toContain(
      'web-root search stopped after 10 files; the rest was not searched',
    );
  });

  it('is cancelled within 2 s while walking a large tree', async () => {
    const site = join(base, 'large');
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(site, `d${d}`), { recursive: true });
      for (let i = 0; i < 100; i++)
        writeFileSync(join(site, `d${d}`, `f${i}.html`), `<script>var a${i} = 'x' + 'y';</script>\n`.repeat(50));
    }
    const ac = new AbortController();
    const p = scan({ webRoots: [site], signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
