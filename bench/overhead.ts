// `npm run bench`: what the monitor costs, against what a systeminformation-based monitor costs.
//   npm run bench -- [--procs 1000] [--busy 3] [--duration 60] [--warmup 120] [--interval 1000] [--runs 3]
//                    [--app-only] [--sampler] [--churn 0] [--split] [--json FILE]
// Each measured window of --duration seconds follows --warmup seconds of running: the app runs for
// hours, and for its first minute or two V8 is still compiling the tick's code on its helper threads
// (about three times the steady cost). That warm-up is measured and printed apart.
// --split times each stage of the engine process's tick (bench/cost-split.ts) and prints the split;
// the wrappers cost a little themselves, so judge the targets on runs without it.
// --procs 10000 judges the 10,000-process targets; --churn N starts N short-lived processes a second
// (each lives 0.2 to 3 s, as in a build) throughout, and judges the churn targets with the RSS and
// heap slopes after the first minute.
// Starts --procs idle processes and --busy duty-cycled busy ones, then, --runs times, measures one
// after the other, each in its own process at the same cadence:
//   app     the engine process as the app runs it: the engine service (sampler, detector, incident
//           store) served over IPC to a window this process plays (subscribed to the process stream,
//           shown), exactly the protocol of main/engine/host/;
//   engine  the sampler alone (with --sampler);
//   si      systeminformation.processes() (after a 10 s warm-up: its cost is the ps-like reading
//           of every process on each call, not compiling).
// The targets are judged on the medians of the runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import type { EventContract } from '../shared/ipc.js';
import { ProcStreamDecoder } from '../shared/proc-stream.js';
import { TARGETS, verdict } from './targets.js';
import { jsonOutArg, numberArg } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const procs = numberArg('procs', 1000);
const busy = numberArg('busy', 3);
const duration = numberArg('duration', 60);
const interval = numberArg('interval', 1000);
const runs = Math.max(1, Math.round(numberArg('runs', 3)));
const only = process.argv.includes('--app-only');
const withSampler = process.argv.includes('--sampler');
const churn = numberArg('churn', 0);
const split = process.argv.includes('--split');
// Seconds the engine runs before the measured window (its start-up and V8's warm-up, reported apart).
const warmup = numberArg('warmup', 120);
const scale: 'default' | '10k' | 'churn' = churn > 0 ? 'churn' : procs >= 5000 ? '10k' : 'default';
const jsonOut = jsonOutArg('overhead.json');

const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

console.log(`starting ${procs} idle and ${busy} busy processes…`);
for (let i = 0; i < procs; i++) children.push(spawn('sleep', ['7200'], { stdio: 'ignore' }));
// Busy, but not pegged: 20 ms of work every 100 ms (about 20% of a core each), like real apps.
for (let i = 0; i < busy; i++) {
  children.push(
    spawn(process.execPath, ['-e', 'setInterval(()=>{const e=Date.now()+20;while(Date.now()<e){}},100)'], {
      stdio: 'ignore',
    }),
  );
}
// At 10,000 the spawning takes a while: wait until they are all there.
await new Promise((r) => setTimeout(r, Math.max(2000, procs / 2)));
let churned = 0;
const churnTimer =
  churn > 0
    ? setInterval(() => {
        for (let i = 0; i < churn / 10; i++) {
          const life = (0.2 + ((churned++ * 7919) % 28) / 10).toFixed(1);
          spawn('sleep', [life], { stdio: 'ignore' }).on('error', () => undefined);
        }
      }, 100)
    : null;

interface RunResult {
  mode: string;
  processes: number;
  ticks: number;
  wallSec: number;
  cpuSec: number;
  cpuPercentOfOneCore: number;
  tickMedianMs: number;
  tickP95Ms: number;
  rssKiB: number;
  peakRssKiB: number;
  historyPoints: number;
  passes: { full: number; hot: number };
  /** From the third tick to the measured window: start-up and V8's compiling, apart from the steady state. */
  warmup?: { sec: number; cpuPercentOfOneCore: number | null };
  memory?: {
    rssSlopeKiBPerMinAfter1Min: number | null;
    heapSlopeKiBPerMinAfter1Min: number | null;
    heapKiBAtEnd: number;
    samples: number;
  };
  /** --split: each stage's time, ms per second of the run (bench/cost-split.ts). */
  split?: { stage: string; msPerSec: number; calls: number; msPerCall: number }[];
  /** app mode: what the window received. */
  window?: { messages: number; bytesPerSec: number; procsHeld: number; gaps: number };
}

/** The window's side of the app mode: subscribes like the renderer, decodes the stream, counts bytes. */
function playWindow(child: ChildProcess): () => RunResult['window'] {
  const decoder = new ProcStreamDecoder();
  let messages = 0;
  let bytes = 0;
  let gaps = 0;
  let since = 0;
  let id = 1;
  child.on('message', (m: { kind?: string; channel?: string; payload?: unknown }) => {
    if (m.kind === 'ready') {
      child.send({ kind: 'invoke', id: id++, channel: 'window:visibility', args: [true] });
      child.send({ kind: 'invoke', id: id++, channel: 'engine:procs', args: [true] });
      since = performance.now();
      return;
    }
    if (m.kind !== 'event' || m.channel !== 'engine:sample') return;
    const p = m.payload as EventContract['engine:sample'];
    messages++;
    bytes += serialize(p).length;
    if (p.procs && !decoder.apply(p.procs)) gaps++;
  });
  return () => ({
    messages,
    bytesPerSec: bytes / Math.max(1e-9, (performance.now() - since) / 1000),
    procsHeld: decoder.synced ? decoder.procs().length : 0,
    gaps,
  });
}

function run(mode: 'app' | 'engine' | 'si'): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    // IDLEWATCH_BENCH_NODE_FLAGS: extra node flags for the measured process (e.g. --cpu-prof).
    const flags = (process.env.IDLEWATCH_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(
      process.execPath,
      [
        ...flags,
        join(here, 'overhead-runner.js'),
        mode,
        String(duration),
        String(interval),
        String(Math.round(((mode === 'si' ? 10 : warmup) * 1000) / interval)),
      ],
      {
        env: split ? { ...process.env, IDLEWATCH_BENCH_SPLIT: '1' } : process.env,
        ...(mode === 'app'
          ? { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], serialization: 'advanced' as const }
          : { stdio: ['ignore', 'pipe', 'inherit'] as const }),
      },
    );
    const window = mode === 'app' ? playWindow(child) : null;
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`${mode} runner exited with ${code}`));
      else resolveRun({ ...(JSON.parse(line) as RunResult), ...(window ? { window: window() } : {}) });
    });
  });
}

const results: { app: RunResult; engine: RunResult | null; si: RunResult; loadavg: number[] }[] = [];
for (let r = 1; r <= runs; r++) {
  const load = loadavg();
  console.log(`run ${r} of ${runs} (load average ${load.map((l) => l.toFixed(2)).join(' ')}):`);
  console.log(`  the engine process as the app runs it, ${duration} s at ${interval} ms…`);
  const app = await run('app');
  if (only) {
    console.log(
      `  app ${app.cpuPercentOfOneCore.toFixed(3)}% of one core (warm-up ${app.warmup?.cpuPercentOfOneCore?.toFixed(3) ?? '?'}%), RSS ${(app.rssKiB / 1024).toFixed(1)} MB, peak ${(app.peakRssKiB / 1024).toFixed(1)} MB`,
    );
    results.push({ app, engine: null, si: app, loadavg: load });
    continue;
  }
  if (withSampler) console.log(`  the sampler alone…`);
  const engine = withSampler ? await run('engine') : null;
  console.log(`  systeminformation.processes()…`);
  const si = await run('si');
  const ratio = si.cpuPercentOfOneCore / Math.max(app.cpuPercentOfOneCore, 1e-9);
  console.log(
    `  app ${app.cpuPercentOfOneCore.toFixed(3)}% (warm-up ${app.warmup?.cpuPercentOfOneCore?.toFixed(3) ?? '?'}%)${engine ? `, sampler ${engine.cpuPercentOfOneCore.toFixed(3)}%` : ''}, systeminformation ${si.cpuPercentOfOneCore.toFixed(1)}% (${ratio.toFixed(0)}×)`,
  );
  results.push({ app, engine, si, loadavg: load });
}
if (churnTimer) clearInterval(churnTimer);
cleanup();

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (v: number[], digits: number) => `${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)}`;
const col = (pick: (r: (typeof results)[number]) => number) => results.map(pick);
const appCpu = col((r) => r.app.cpuPercentOfOneCore);
const engineCpu = col((r) => r.engine?.cpuPercentOfOneCore ?? Number.NaN);
const warmCpu = col((r) => r.app.warmup?.cpuPercentOfOneCore ?? Number.NaN);
const siCpu = col((r) => r.si.cpuPercentOfOneCore);
const ratios = col((r) => r.si.cpuPercentOfOneCore / Math.max(r.app.cpuPercentOfOneCore, 1e-9));
const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
const last = results.at(-1)!;

const rows: [string, string, string, string][] = [
  ['', 'engine process (app)', 'sampler alone', 'systeminformation'],
  ['processes seen', String(last.app.processes), String(last.engine?.processes ?? '-'), String(last.si.processes)],
  [
    'CPU, % of one core',
    `${median(appCpu).toFixed(3)}% (${spread(appCpu, 3)})`,
    `${median(engineCpu).toFixed(3)}% (${spread(engineCpu, 3)})`,
    `${median(siCpu).toFixed(1)}% (${spread(siCpu, 1)})`,
  ],
  [
    'tick median / p95',
    `${median(col((r) => r.app.tickMedianMs)).toFixed(2)} / ${median(col((r) => r.app.tickP95Ms)).toFixed(2)} ms`,
    `${median(col((r) => r.engine?.tickMedianMs ?? Number.NaN)).toFixed(2)} / ${median(col((r) => r.engine?.tickP95Ms ?? Number.NaN)).toFixed(2)} ms`,
    `${median(col((r) => r.si.tickMedianMs)).toFixed(0)} / ${median(col((r) => r.si.tickP95Ms)).toFixed(0)} ms`,
  ],
  [
    'RSS at the end',
    mb(median(col((r) => r.app.rssKiB))),
    mb(median(col((r) => r.engine?.rssKiB ?? Number.NaN))),
    mb(median(col((r) => r.si.rssKiB))),
  ],
  [
    'peak RSS (start-up)',
    mb(median(col((r) => r.app.peakRssKiB))),
    mb(median(col((r) => r.engine?.peakRssKiB ?? Number.NaN))),
    mb(median(col((r) => r.si.peakRssKiB))),
  ],
  ['warm-up CPU', `${median(warmCpu).toFixed(3)}% (${spread(warmCpu, 3)})`, '', ''],
];
console.log(`\nmedians of ${runs} run(s) of ${duration} s after ${warmup} s of warm-up (spread in brackets):`);
for (const r of rows) {
  if (only) console.log(`${r[0].padEnd(20)}${r[1]}`);
  else if (!withSampler) console.log(`${r[0].padEnd(20)}${r[1].padEnd(28)}${r[3]}`);
  else console.log(`${r[0].padEnd(20)}${r[1].padEnd(28)}${r[2].padEnd(24)}${r[3]}`);
}
if (!only) console.log(`systeminformation / engine process: ${median(ratios).toFixed(0)}× (${spread(ratios, 0)})`);
const w = last.app.window;
if (w) {
  console.log(
    `window: ${w.messages} messages, ${(w.bytesPerSec / 1024).toFixed(1)} KB/s, ${w.procsHeld} processes held, ${w.gaps} gaps`,
  );
}
console.log(
  `engine process: ${last.app.passes.full} full and ${last.app.passes.hot} hot process passes in the last run; history ${last.app.historyPoints} points (bounded at 3,600).`,
);
// RSS is judged in the steady state (the end of the run); the start-up peak is printed beside it.
const appRssMb = median(col((r) => r.app.rssKiB)) / 1024;
const verdicts =
  scale === 'churn'
    ? [verdict(TARGETS.engineCpuChurn, median(appCpu))]
    : scale === '10k'
      ? [
          verdict(TARGETS.engineCpu10k, median(appCpu)),
          verdict(TARGETS.engineTickP95_10k, median(col((r) => r.app.tickP95Ms))),
          verdict(TARGETS.engineRss10k, appRssMb),
        ]
      : [
          verdict(TARGETS.engineCpu, median(appCpu)),
          ...(only ? [] : [verdict(TARGETS.cheaperThanSystemInformation, median(ratios))]),
          verdict(TARGETS.engineRss, appRssMb),
        ];
const mem = col((r) => r.app.memory?.heapSlopeKiBPerMinAfter1Min ?? Number.NaN);
const rssSlopes = col((r) => r.app.memory?.rssSlopeKiBPerMinAfter1Min ?? Number.NaN);
if (duration >= 120) {
  console.log(
    `engine process after its first minute: heap ${mem.map((v) => v.toFixed(1)).join(', ')} KiB/min, RSS ${rssSlopes.map((v) => v.toFixed(1)).join(', ')} KiB/min (least-squares slopes, one per run)`,
  );
}
if (churn > 0) console.log(`churn: ${churned} short-lived processes started (${churn} a second)`);
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(
  jsonOut,
  `${JSON.stringify(
    {
      config: { procs, busy, duration, warmup, interval, runs, churn, scale },
      runs: results,
      medians: {
        app: median(appCpu),
        appWarmup: median(warmCpu),
        engine: median(engineCpu),
        si: median(siCpu),
        ratio: median(ratios),
      },
      targets: verdicts,
    },
    null,
    2,
  )}\n`,
);
console.log(`JSON: ${jsonOut}`);
if (split) {
  for (const [i, r] of results.entries()) {
    console.log(
      `\nwhere the engine process's time went, run ${i + 1} (${r.app.cpuPercentOfOneCore.toFixed(3)}% of one core = ${(r.app.cpuPercentOfOneCore * 10).toFixed(2)} ms a second in all):`,
    );
    for (const s of r.app.split ?? [])
      console.log(
        `  ${s.stage.padEnd(52)} ${s.msPerSec.toFixed(3).padStart(7)} ms/s  ${String(s.calls).padStart(6)} calls  ${s.msPerCall.toFixed(3)} ms each`,
      );
  }
}
console.log('');
for (const v of verdicts) console.log(v.line);
if (duration < 60)
  console.log(`(a ${duration} s run: /proc counts CPU in 10 ms steps, so the targets are judged on 60 s runs)`);
process.exitCode = verdicts.every((v) => v.met) ? 0 : 1;
