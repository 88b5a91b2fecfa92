// One side of `npm run bench`: runs the Idlewatch engine process as the app runs it ('app': the
// engine service (sampler, detector, incident store) served over process IPC to a window that the
// parent plays), the sampler alone ('engine'), or systeminformation.processes() ('si') at the same
// cadence for a fixed time, then prints one JSON line with what it cost. It measures
// itself from /proc/self/stat (all threads) plus its child processes (reaped and still running),
// so nvidia-smi or ps children are charged to the side that spawned them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import si from 'systeminformation';
import { Engine } from '../main/engine/engine.js';
import { type EnginePort, runEngineHost } from '../main/engine/host/engine-host.js';
import type { EngineToMain } from '../main/engine/host/protocol.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import { cpuSeconds } from './proc-cpu.js';
import { costSplit, installCostSplit, startCounting, timed } from './cost-split.js';

const [mode = 'engine', durationArg = '60', intervalArg = '1000', warmupArg = '3'] = process.argv.slice(2);
const durationMs = Number(durationArg) * 1000;
const intervalMs = Number(intervalArg);
// Ticks before the measured window. The app runs for hours: its first minutes, while V8 compiles
// and optimises the tick's code on its helper threads, are reported apart (`warmup`), and the
// targets are judged on the steady state after them.
const warmupTicks = Math.max(3, Number(warmupArg));
// --split (IDLEWATCH_BENCH_SPLIT=1): time each stage of the tick (bench/cost-split.ts).
const split = process.env.IDLEWATCH_BENCH_SPLIT === '1';
if (split) installCostSplit();

function peakRssKiB(): number {
  const m = /^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

function rssKiB(): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

const tickMs: number[] = [];
let processes = 0;
let cpuAtWarm = 0;
let wallAtWarm = 0;
let cpuAtStart = 0;
let wallAtStart = 0;
let ticks = 0;

function onTick(ms: number, count: number): void {
  ticks++;
  processes = count;
  if (ticks === 3) {
    // The first ticks are start-up (the baseline pass reads every process's identity).
    cpuAtStart = cpuSeconds('start');
    wallAtStart = performance.now();
  }
  if (ticks === warmupTicks) {
    cpuAtWarm = cpuSeconds('start');
    wallAtWarm = performance.now();
    if (split) startCounting();
  } else if (ticks > warmupTicks) {
    tickMs.push(ms);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One timer to the end of the run: polling would charge the engine for the bench's own wake-ups. */
const sleepUntil = (at: number) => sleep(Math.max(0, at - performance.now()));

/** RSS and V8 heap every 5 s, for the growth slope after the first minute (churn runs). */
const memory: { sec: number; rssKiB: number; heapKiB: number }[] = [];
const memoryStart = performance.now();
const memoryTimer = setInterval(() => {
  memory.push({
    sec: (performance.now() - memoryStart) / 1000,
    rssKiB: process.memoryUsage.rss() / 1024,
    heapKiB: process.memoryUsage().heapUsed / 1024,
  });
}, 5000);
memoryTimer.unref();

/** Least-squares slope of `key` over the samples after `fromSec`, in KiB per minute (null: too few). */
function slopePerMin(key: 'rssKiB' | 'heapKiB', fromSec: number): number | null {
  const pts = memory.filter((m) => m.sec >= fromSec);
  if (pts.length < 3) return null;
  const mx = pts.reduce((a, p) => a + p.sec, 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[key], 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.sec - mx) * (p[key] - my);
    den += (p.sec - mx) ** 2;
  }
  return den === 0 ? null : (num / den) * 60;
}
const end = performance.now() + durationMs + warmupTicks * intervalMs;
/** Growth is judged after the first minute, or after the warm-up when that is longer. */
const slopeFromSec = Math.max(60, (warmupTicks * intervalMs) / 1000);
let historyPoints = 0;
let passes = { full: 0, hot: 0 };

let result: ReturnType<typeof finish>;
if (mode === 'engine') {
  const engine = new Engine({ intervalMs });
  engine.sampler.onSample((s) => onTick(s.tickMs, s.procs.length));
  await engine.start();
  await sleepUntil(end);
  historyPoints = engine.sampler.history.length;
  passes = { ...engine.sampler.passes };
  // Measure before stopping, so shutdown costs are not charged.
  result = finish();
  await engine.stop();
} else if (mode === 'app') {
  // As engine-process.ts runs it, over this process's IPC channel (the parent is the window's side).
  if (!process.send) throw new Error('the app mode needs an IPC channel to its parent');
  const dataDir = mkdtempSync(join(tmpdir(), 'iw-bench-app-'));
  const send = (m: EngineToMain) => void process.send?.(m);
  const port: EnginePort = {
    postMessage: split ? timed('      IPC send to the window', send) : send,
    on: (_event, listener) => process.on('message', listener),
  };
  let opened: EngineService | null = null;
  await runEngineHost(
    port,
    async () => {
      opened = await EngineService.open({ dataDir, intervalMs });
      opened.current.engine.sampler.onSample((s) => onTick(s.tickMs, s.procs.length));
      return opened;
    },
    { exit: (code) => process.exit(code) },
  );
  const service = opened as EngineService | null;
  if (!service) throw new Error('the engine service did not open');
  await sleepUntil(end);
  const sampler = service.current.engine.sampler;
  historyPoints = sampler.history.length;
  passes = { ...sampler.passes };
  result = finish();
  process.removeAllListeners('message');
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
} else if (mode === 'si') {
  // The same cadence, never overlapping calls (as a polling monitor built on it would).
  while (performance.now() < end) {
    const t0 = performance.now();
    const data = await si.processes();
    onTick(performance.now() - t0, data.list.length);
    const next = intervalMs - ((performance.now() - t0) % intervalMs);
    await sleep(next);
  }
  result = finish();
} else {
  throw new Error(`unknown mode ${mode}`);
}

function finish() {
  const cpu = cpuSeconds('end') - cpuAtWarm;
  const wall = (performance.now() - wallAtWarm) / 1000;
  const sorted = [...tickMs].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return {
    mode,
    processes,
    ticks: tickMs.length,
    wallSec: wall,
    cpuSec: cpu,
    cpuPercentOfOneCore: (cpu / wall) * 100,
    tickMedianMs: q(0.5),
    tickP95Ms: q(0.95),
    rssKiB: rssKiB(),
    peakRssKiB: peakRssKiB(),
    historyPoints,
    passes,
    warmup: {
      sec: (wallAtWarm - wallAtStart) / 1000,
      cpuPercentOfOneCore:
        wallAtWarm > wallAtStart ? ((cpuAtWarm - cpuAtStart) / ((wallAtWarm - wallAtStart) / 1000)) * 100 : null,
    },
    ...(split ? { split: costSplit(wall) } : {}),
    memory: {
      rssSlopeKiBPerMinAfter1Min: slopePerMin('rssKiB', slopeFromSec),
      heapSlopeKiBPerMinAfter1Min: slopePerMin('heapKiB', slopeFromSec),
      heapKiBAtEnd: process.memoryUsage().heapUsed / 1024,
      samples: memory.length,
    },
  };
}

process.stdout.write(`${JSON.stringify(result)}\n`);
process.disconnect?.();
process.exit(0);
