// Per-tick cost of the sampler on this machine: CPU time (user + system) the engine spends per
// tick, at the machine's own process count plus optional extra idle processes.
//   npm run bench:tick -- [--ticks 60] [--interval 1000] [--extra 0] [--json FILE]
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Engine } from '../main/engine/engine.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const ticks = arg('ticks', 60);
const intervalMs = arg('interval', 1000);
const extra = arg('extra', 0);
const jsonIdx = process.argv.indexOf('--json');
const jsonOut = jsonIdx >= 0 ? process.argv[jsonIdx + 1] : undefined;

function stats(values: number[]): { median: number; p95: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}
const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
for (let i = 0; i < extra; i++) {
  children.push(spawn('/bin/sleep', ['3600'], { stdio: 'ignore' }));
}
await sleep(extra > 0 ? 1000 : 0);

// 1. The process collector alone (the part that scales with the process count).
const procs = new LinuxProcsCollector();
await procs.start();
const procCpu: number[] = [];
const procWall: number[] = [];
let count = 0;
for (let i = 0; i < ticks; i++) {
  await sleep(Math.min(intervalMs, 200));
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  count = (await procs.sample(Date.now())).procs.length;
  procWall.push(performance.now() - w0);
  procCpu.push(cpuMicros(process.cpuUsage(c0)));
}
await procs.stop();

// 2. The whole engine tick at its real cadence (processes, system CPU, GPU and idle sources).
const engine = new Engine({ intervalMs });
await engine.sampler.init();
const tickCpu: number[] = [];
const tickWall: number[] = [];
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
for (let i = 0; i < ticks; i++) {
  await sleep(intervalMs);
  const c0 = process.cpuUsage();
  const s = await engine.sampler.tick();
  tickCpu.push(cpuMicros(process.cpuUsage(c0)));
  tickWall.push(s.tickMs);
}
const totalCpuMs = cpuMicros(process.cpuUsage(cpuStart)) / 1000;
const totalWallMs = performance.now() - wallStart;
const sources = engine.sources();
await engine.stop();
for (const c of children) c.kill('SIGKILL');

const result = {
  machine: { processes: count, extraIdleProcesses: extra, intervalMs, ticks },
  procsCollector: { cpuMs: stats(procCpu.map((v) => v / 1000)), wallMs: stats(procWall) },
  engineTick: { cpuMs: stats(tickCpu.map((v) => v / 1000)), wallMs: stats(tickWall) },
  engineCpuPercentOfOneCore: (totalCpuMs / totalWallMs) * 100,
  sources: sources.map((s) => `${s.id}: ${s.health}`),
};
const f = (n: number) => n.toFixed(2);
console.log(`processes: ${count} (${extra} extra idle), ${ticks} ticks at ${intervalMs} ms`);
console.log('                      CPU ms/tick (median / p95)   wall ms/tick (median / p95)');
console.log(
  `procs collector       ${f(result.procsCollector.cpuMs.median)} / ${f(result.procsCollector.cpuMs.p95)}                 ${f(result.procsCollector.wallMs.median)} / ${f(result.procsCollector.wallMs.p95)}`,
);
console.log(
  `whole engine tick     ${f(result.engineTick.cpuMs.median)} / ${f(result.engineTick.cpuMs.p95)}                 ${f(result.engineTick.wallMs.median)} / ${f(result.engineTick.wallMs.p95)}`,
);
console.log(
  `engine CPU over the run: ${result.engineCpuPercentOfOneCore.toFixed(3)}% of one core (this process only; child processes such as nvidia-smi not included)`,
);
console.log(`sources: ${result.sources.join(', ')}`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
