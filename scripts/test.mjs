// `npm test`: build, then unit + integration tests (Vitest), then end-to-end tests (Playwright
// driving a real Chromium against the built renderer and the real engine).
import { spawnSync } from 'node:child_process';
import { CHROMIUM_HELP, findChromium } from './find-chromium.mjs';

const chromium = await findChromium();
if (!chromium) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const steps = [
  ['build', process.execPath, ['scripts/build.mjs']],
  ['unit + integration (vitest)', bin('vitest'), ['run']],
  [`end-to-end (playwright, ${chromium})`, bin('playwright'), ['test']],
];

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
process.exit(results.every((r) => r.ok) && results.length === steps.length ? 0 : 1);
