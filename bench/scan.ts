// Wall time of a full deep scan on this machine with N extra sleeping processes (default 1,000).
// Target (bench/targets.ts): a median of at most 5 s at 1,000 processes.
//   node out/bench/scan.js [--procs 1000] [--runs 3] [--json FILE]
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { HashCache } from '../main/engine/allowlist/file-hash.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import type { ScanReport } from '../shared/scan.js';
import { TARGETS, verdict } from './targets.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}
const extra = arg('procs', 1000);
const runs = Math.max(1, arg('runs', 3));
const jsonIdx = process.argv.indexOf('--json');
const jsonOut = jsonIdx >= 0 ? process.argv[jsonIdx + 1] : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function processCount(): number {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
}

const children: ChildProcess[] = [];
const cleanup = (): void => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const before = process.platform === 'linux' ? processCount() : 0;
for (let i = 0; i < extra; i++) {
  const c = spawn('/bin/sleep', ['3600'], { stdio: 'ignore' });
  c.on('error', () => {});
  children.push(c);
}
// Wait until they all show up (spawn returns before the exec is done).
for (let i = 0; i < 100 && process.platform === 'linux' && processCount() < before + extra; i++) await sleep(100);
await sleep(500);

const cache = new HashCache();
const times: number[] = [];
let last: ScanReport | null = null;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  last = await runDeepScan({ hashCache: cache });
  times.push(performance.now() - t0);
}
cleanup();

const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
const result = {
  processes: last?.processes.length ?? 0,
  extraSleepers: extra,
  runs,
  wallMs: times.map((t) => Math.round(t)),
  medianMs: Math.round(median),
  targetMs: TARGETS.deepScan.limit,
  steps: Object.fromEntries(
    (last?.steps ?? []).map((s) => [s.id, { ms: s.durationMs, status: s.status, detail: s.detail }]),
  ),
};
console.log(
  `deep scan of ${result.processes} processes: median ${result.medianMs} ms over ${runs} runs (${result.wallMs.join(', ')} ms)`,
);
for (const [id, s] of Object.entries(result.steps))
  console.log(`  ${id.padEnd(12)} ${String(s.ms).padStart(6)} ms  ${s.detail}`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
const scanVerdict = verdict(TARGETS.deepScan, result.medianMs);
console.log('');
console.log(scanVerdict.line);
process.exit(scanVerdict.met ? 0 : 1);
