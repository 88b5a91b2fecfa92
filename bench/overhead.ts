// `npm run bench`: what the monitor costs, against what a systeminformation-based monitor costs.
//   npm run bench -- [--procs 1000] [--busy 3] [--duration 60] [--interval 1000] [--json FILE]
// Starts --procs idle processes and --busy duty-cycled busy ones, then runs the engine and
// systeminformation.processes() one after the other, each in its own process at the same cadence.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS, verdict } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}
const procs = arg('procs', 1000);
const busy = arg('busy', 3);
const duration = arg('duration', 60);
const interval = arg('interval', 1000);
const jsonIdx = process.argv.indexOf('--json');
const jsonOut = resolve(
  jsonIdx >= 0 ? process.argv[jsonIdx + 1]! : join(here, '..', '..', 'bench', 'results', 'overhead.json'),
);

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
await new Promise((r) => setTimeout(r, 2000));

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
}

function run(mode: 'engine' | 'si'): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, 'overhead-runner.js'), mode, String(duration), String(interval)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`${mode} runner exited with ${code}`));
      else resolveRun(JSON.parse(line) as RunResult);
    });
  });
}

console.log(`measuring the engine for ${duration} s at ${interval} ms…`);
const engine = await run('engine');
console.log(`measuring systeminformation.processes() for ${duration} s at ${interval} ms…`);
const si = await run('si');
cleanup();

const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
const ratio = si.cpuPercentOfOneCore / Math.max(engine.cpuPercentOfOneCore, 1e-9);
const rows: [string, string, string, string][] = [
  ['', 'Idlewatch engine', 'systeminformation', 'ratio'],
  ['processes seen', String(engine.processes), String(si.processes), ''],
  [
    'CPU, % of one core',
    `${engine.cpuPercentOfOneCore.toFixed(3)}%`,
    `${si.cpuPercentOfOneCore.toFixed(3)}%`,
    `${ratio.toFixed(1)}× cheaper`,
  ],
  ['tick median', `${engine.tickMedianMs.toFixed(2)} ms`, `${si.tickMedianMs.toFixed(2)} ms`, ''],
  ['tick p95', `${engine.tickP95Ms.toFixed(2)} ms`, `${si.tickP95Ms.toFixed(2)} ms`, ''],
  [
    'RSS at end / peak',
    `${mb(engine.rssKiB)} / ${mb(engine.peakRssKiB)}`,
    `${mb(si.rssKiB)} / ${mb(si.peakRssKiB)}`,
    '',
  ],
];
console.log('');
for (const r of rows) console.log(`${r[0].padEnd(20)}${r[1].padEnd(22)}${r[2].padEnd(22)}${r[3]}`);
console.log(`\n${engine.ticks} engine ticks and ${si.ticks} systeminformation calls measured after warm-up;`);
console.log(
  `engine: ${engine.passes.full} full and ${engine.passes.hot} hot process passes; history ${engine.historyPoints} points (bounded at 3,600).`,
);
// Whether each target was met, last, where a reader of the run looks for the answer.
const verdicts = [
  verdict(TARGETS.engineCpu, engine.cpuPercentOfOneCore),
  verdict(TARGETS.cheaperThanSystemInformation, ratio),
  verdict(TARGETS.engineRss, engine.peakRssKiB / 1024),
];
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(
  jsonOut,
  `${JSON.stringify({ config: { procs, busy, duration, interval }, engine, systeminformation: si, ratio, targets: verdicts }, null, 2)}\n`,
);
console.log(`JSON: ${jsonOut}`);
console.log('');
for (const v of verdicts) console.log(v.line);
if (duration < 60)
  console.log(`(a ${duration} s run: /proc counts CPU in 10 ms steps, so the targets are judged on 60 s runs)`);
process.exitCode = verdicts.every((v) => v.met) ? 0 : 1;
