// `npm test`: build, then unit + integration tests (Vitest), then end-to-end tests (Playwright
// driving a real Chromium against the built renderer and the real engine). Ends with one line per
// runner: passed, failed and skipped counts, and which tests were skipped (CI logs keep only their
// tail, so failures and skips are repeated there).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { CHROMIUM_HELP, findChromium } from './find-chromium.mjs';

const chromium = await findChromium();
if (!chromium) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

const VITEST_JSON = 'test-results/vitest.json';
const PLAYWRIGHT_JSON = 'test-results/playwright.json';
const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const steps = [
  { name: 'build', cmd: process.execPath, args: ['scripts/build.mjs'] },
  {
    name: 'unit + integration (vitest)',
    cmd: bin('vitest'),
    args: ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`],
    counts: vitestCounts,
  },
  {
    name: `end-to-end (playwright, ${chromium})`,
    cmd: bin('playwright'),
    args: ['test', '--reporter=list,json'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: PLAYWRIGHT_JSON },
    counts: playwrightCounts,
  },
];

const rel = (p) => String(p).replace(`${process.cwd()}/`, '');
const firstLine = (s) =>
  String(s ?? '')
    .split('\n')[0]
    .slice(0, 300);

/** Vitest's JSON report → counts, failed tests with their first error line, skipped tests. */
function vitestCounts() {
  const report = JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
  const out = { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    if (file.status === 'failed' && tests.every((t) => t.status !== 'failed')) {
      out.failed++;
      out.failures.push(`${rel(file.name)}: ${firstLine(file.message || 'failed to run')}`);
    }
    for (const t of tests) {
      if (t.status === 'passed') out.passed++;
      else if (t.status === 'failed') {
        out.failed++;
        out.failures.push(`${rel(file.name)} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      } else {
        // Vitest keeps no reason for a skip: the test's name and its condition in the file say why.
        out.skipped++;
        out.skips.push(`${rel(file.name)} > ${t.fullName}`);
      }
    }
  }
  return out;
}

/** Playwright's JSON report → the same shape; a skip's reason is its annotation. */
function playwrightCounts() {
  const report = JSON.parse(readFileSync(PLAYWRIGHT_JSON, 'utf8'));
  const out = { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        const name = `${spec.file} > ${[...path, spec.title].join(' > ')}`;
        if (t.status === 'skipped') {
          out.skipped++;
          const why = (t.annotations ?? []).find((a) => a.type === 'skip')?.description;
          out.skips.push(why ? `${name}: ${why}` : name);
        } else if (t.status === 'expected' || t.status === 'flaky') out.passed++;
        else {
          out.failed++;
          const last = t.results?.[t.results.length - 1];
          out.failures.push(`${name}: ${firstLine(last?.error?.message)}`);
        }
      }
    }
    for (const s of suite.suites ?? []) walk(s, s.title && !s.title.endsWith('.ts') ? [...path, s.title] : path);
  };
  for (const s of report.suites ?? []) walk(s, []);
  for (const e of report.errors ?? []) {
    out.failed++;
    out.failures.push(firstLine(e.message));
  }
  return out;
}

rmSync(VITEST_JSON, { force: true });
rmSync(PLAYWRIGHT_JSON, { force: true });
const results = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}`);
  const t0 = Date.now();
  const r = spawnSync(step.cmd, step.args, {
    stdio: 'inherit',
    env: { ...process.env, IDLEWATCH_CHROMIUM: chromium, ...step.env },
  });
  const result = { name: step.name, ok: r.status === 0, sec: ((Date.now() - t0) / 1000).toFixed(1), counts: null };
  if (step.counts) {
    try {
      result.counts = step.counts();
    } catch (e) {
      result.countsError = `no report to count (${e.message.split('\n')[0]})`;
    }
  }
  results.push(result);
  if (!result.ok && step.name === 'build') break;
}

console.log('\n=== summary');
for (const r of results) {
  const c = r.counts;
  const tally = c
    ? `: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
    : r.countsError
      ? `: ${r.countsError}`
      : '';
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${tally} (${r.sec} s)`);
  for (const s of c?.skips ?? []) console.log(`       skipped: ${s}`);
  for (const f of c?.failures ?? []) console.log(`       failed: ${f}`);
}
process.exit(results.every((r) => r.ok) && results.length === steps.length ? 0 : 1);
