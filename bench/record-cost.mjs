// What `idlewatch record` costs, measured from outside (issue 15): the CPU time (user + system, as
// the kernel charges the process and its children) of a long run minus that of a short run, median
// of --runs each, so start-up and shut-down cancel out.
//   node scripts/build.mjs cli && node bench/record-cost.mjs [--long 62] [--short 2] [--runs 3] [--procs 1000]
// --procs idle processes are started first (1,000 by default), as in `npm run bench`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out', 'cli', 'idlewatch.js');
const { values: args } = parseArgs({
  options: {
    long: { type: 'string', default: '62' },
    short: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    procs: { type: 'string', default: '1000' },
  },
});
const long = Number(args.long);
const short = Number(args.short);
const runs = Number(args.runs);
const procs = Number(args.procs);
if (!(long > short) || !(short > 0) || !(runs >= 1) || !(procs >= 0)) {
  console.error('usage: node bench/record-cost.mjs [--long SEC] [--short SEC] [--runs N] [--procs N]');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`the CLI is not built (${cli} is missing): run node scripts/build.mjs cli`);
  process.exit(1);
}
if (!existsSync('/usr/bin/time')) {
  console.error('needs /usr/bin/time (GNU time) to read the CPU time of a finished process');
  process.exit(1);
}

const sleepers = [];
process.on('exit', () => {
  for (const c of sleepers) c.kill('SIGKILL');
});
for (let i = 0; i < procs; i++) sleepers.push(spawn('sleep', ['7200'], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 2000));

const dir = mkdtempSync(join(tmpdir(), 'iw-record-cost-'));
/** One `idlewatch record` run: CPU seconds (user + system), wall seconds, trace size. */
function record(sec, n) {
  return new Promise((resolveRun, reject) => {
    const out = join(dir, `trace-${sec}-${n}.jsonl`);
    const timing = join(dir, `time-${sec}-${n}.txt`);
    const t0 = performance.now();
    const child = spawn(
      '/usr/bin/time',
      ['-f', '%U %S', '-o', timing, process.execPath, cli, 'record', '--out', out, '--duration', String(sec)],
      {
        stdio: 'ignore',
      },
    );
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`idlewatch record --duration ${sec} exited with ${code}`));
      const [user, system] = readFileSync(timing, 'utf8').trim().split(/\s+/).map(Number);
      resolveRun({ cpuSec: user + system, wallSec: (performance.now() - t0) / 1000, traceBytes: statSync(out).size });
    });
  });
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const longRuns = [];
const shortRuns = [];
for (let i = 0; i < runs; i++) {
  console.log(
    `run ${i + 1} of ${runs} (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  shortRuns.push(await record(short, i));
  longRuns.push(await record(long, i));
}
rmSync(dir, { recursive: true, force: true });
const cpuLong = median(longRuns.map((r) => r.cpuSec));
const cpuShort = median(shortRuns.map((r) => r.cpuSec));
const percent = ((cpuLong - cpuShort) / (long - short)) * 100;
const pairs = longRuns.map((r, i) => ((r.cpuSec - shortRuns[i].cpuSec) / (long - short)) * 100);
console.log(
  `long runs (${long} s): CPU ${longRuns.map((r) => r.cpuSec.toFixed(2)).join(', ')} s; trace ${longRuns.map((r) => `${(r.traceBytes / 1024).toFixed(0)} KiB`).join(', ')}`,
);
console.log(`short runs (${short} s): CPU ${shortRuns.map((r) => r.cpuSec.toFixed(2)).join(', ')} s`);
console.log(
  `idlewatch record: ${percent.toFixed(3)}% of one core (median long minus median short; single pairs ${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)}%)`,
);
console.log(
  `target ≤ 0.25% of one core: ${percent <= 0.25 ? 'met' : 'NOT MET'}; load average now ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// Exit now: the idle children would keep the event loop alive (the exit handler ends them).
process.exit(percent <= 0.25 ? 0 : 1);
