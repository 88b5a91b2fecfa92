// `npm test`: build, then unit + integration tests (Vitest), then end-to-end tests (Playwright
// driving a real Chromium against the built renderer and the real engine).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { CHROMIUM_HELP, findChromium } from './find-chromium.mjs';

const chromium = await findChromium();
if (!chromium) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

const VITEST_JSON = 'test-results/vitest.json';
const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const steps = [
  ['build', process.execPath, ['scripts/build.mjs']],
  [
    'unit + integration (vitest)',
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`],
  ],
  [`end-to-end (playwright, ${chromium})`, bin('playwright'), ['test']],
];

/** CI logs keep only their tail: repeat each failed test's name and first error line there. */
function vitestFailures() {
  if (!existsSync(VITEST_JSON)) return [];
  try {
    const report = JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
    const out = [];
    for (const file of report.testResults ?? []) {
      if (file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed')) {
        out.push(`${file.name}: ${String(file.message ?? 'failed to run').split('\n')[0]}`);
      }
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        const first = String(t.failureMessages?.[0] ?? '').split('\n')[0];
        out.push(`${file.name.replace(process.cwd() + '/', '')} > ${t.fullName}: ${first.slice(0, 300)}`);
      }
    }
    return out;
  } catch (e) {
    return [`(could not read ${VITEST_JSON}: ${e.message})`];
  }
}

rmSync(VITEST_JSON, { force: true });
const results = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, IDLEWATCH_CHROMIUM: chromium } });
  const ok = r.status === 0;
  results.push({ name, ok, sec: ((Date.now() - t0) / 1000).toFixed(1) });
  if (!ok && name === 'build') break;
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.sec} s)`);
for (const f of vitestFailures()) console.log(`  failed: ${f}`);
process.exit(results.every((r) => r.ok) && results.length === steps.length ? 0 : 1);
