// The web-root check's evaluation: generates the site tree (test/scenarios/webroot-corpus.ts) into
// a temp folder, runs the deep scan's web-root step on it as `idlewatch scan --web-root` would, and
// counts per injected form whether it was found on its line, and per clean look-alike whether any
// file was flagged. A measurement, not a gate: it exits 0 whatever it finds.
//   npm run eval:webroot -- [--runs N] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanFinding } from '../shared/scan.js';
import { loadMiningDomains, shippedDomainListPath } from '../main/engine/detect/mining-domains.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { writeWebRootCorpus } from '../test/scenarios/webroot-corpus.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Math.max(1, Number(flag('runs') ?? 3));
const jsonOut = flag('json');

const dir = mkdtempSync(join(tmpdir(), 'idlewatch-eval-webroot-'));
try {
  const site = join(dir, 'www');
  const truth = writeWebRootCorpus(site);
  const { list } = await loadMiningDomains({ shippedFile: shippedDomainListPath() });
  const times: number[] = [];
  let findings: ScanFinding[] = [];
  let filesRead = '';
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const report = await runDeepScan({
      steps: ['web-root'],
      root: dir,
      webRoots: [site],
      domains: list,
      platform: 'linux',
    });
    times.push(performance.now() - t0);
    findings = report.findings.filter((f) => f.rule === 'web-miner');
    filesRead = report.steps.find((s) => s.id === 'web-root')?.detail ?? '';
  }
  const fileOf = (f: ScanFinding): string => f.evidence[0]?.slice('file: '.length).split(' (web root ')[0] ?? '';
  const rows = truth.injected.map((t) => {
    const hits = findings.filter((f) => fileOf(f) === join(site, t.file));
    const onLine = hits.some((f) => f.title.includes(`:${t.line}: `));
    const fixable = hits.some((f) => f.actions[0]?.kind === 'remove-persistence');
    return {
      form: t.form,
      file: t.file,
      found: onLine,
      fixOffered: fixable,
      fixExpected: t.removable,
      what: hits[0]?.title.split(': ').slice(1).join(': ') ?? '',
    };
  });
  const cleanRows = truth.clean.map((c) => ({
    lookalike: c.lookalike,
    file: c.file,
    flagged: findings.some((f) => fileOf(f) === join(site, c.file)),
  }));
  const found = rows.filter((r) => r.found).length;
  const flagged = cleanRows.filter((r) => r.flagged).length;
  const fixRight = rows.filter((r) => r.fixOffered === r.fixExpected).length;
  const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  console.log('Injected miners (one per file)');
  console.log(`  ${pad('form', 52)} ${pad('found', 6)} ${pad('fix', 8)} what`);
  for (const r of rows) {
    const fix = r.fixOffered ? 'remove' : 'manual';
    console.log(
      `  ${pad(r.form, 52)} ${pad(r.found ? 'yes' : 'NO', 6)} ${pad(fix + (r.fixOffered === r.fixExpected ? '' : '!'), 8)} ${pad(r.what, 70)}`,
    );
  }
  console.log('\nClean files with look-alikes');
  for (const c of cleanRows) console.log(`  ${pad(c.lookalike, 60)} ${c.flagged ? 'FLAGGED' : 'clean'}`);
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `\nfound ${found}/${rows.length} injected miners; ${flagged}/${cleanRows.length} clean files flagged; fix offered as expected ${fixRight}/${rows.length}`,
  );
  console.log(
    `step: ${filesRead}; ${runs} runs, median ${median.toFixed(0)} ms (min ${sorted[0]?.toFixed(0)}, max ${sorted[sorted.length - 1]?.toFixed(0)})`,
  );
  if (jsonOut)
    writeFileSync(jsonOut, `${JSON.stringify({ rows, clean: cleanRows, found, flagged, timesMs: times }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
