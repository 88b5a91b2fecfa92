// What the trace format costs `idlewatch record` per sample (issue 15): the format lists every live
// process in every sample (an idle one as `{"pid":N}`). Takes two real samples of this machine with
// --extra idle processes added, then encodes --samples samples (TraceEncoder + JSON.stringify, as the
// trace writer does) and reports CPU per sample and bytes per line, against the same samples with only
// the processes whose line says more than their pid (what a changes-only format would write).
//   npm run bench:trace -- [--extra 1000] [--samples 600]
import { type ChildProcess, spawn } from 'node:child_process';
import { Engine } from '../main/engine/engine.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}
const extra = arg('extra', 1000);
const samples = Math.max(10, arg('samples', 600));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (let i = 0; i < extra; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
await sleep(1500);

const engine = new Engine({ intervalMs: 1000 });
await engine.sampler.init();
const first = await engine.sampler.tick();
await sleep(1000);
const second = await engine.sampler.tick();
await engine.stop();
for (const c of children) c.kill('SIGKILL');

function run(trim: boolean): { cpuUsPerSample: number; bytesPerLine: number; procsPerLine: number } {
  const encoder = new TraceEncoder({
    startedAtMs: first.at,
    intervalMs: 1000,
    idleThresholdSec: 60,
    platform: engine.platform,
    cpuCores: first.system.cores,
  });
  JSON.stringify(encoder.header(first));
  JSON.stringify(encoder.sample(first));
  let bytes = 0;
  let procs = 0;
  const c0 = process.cpuUsage();
  for (let i = 1; i <= samples; i++) {
    // The same processes each second, as an idle machine gives them (the sampler reuses their rows).
    const line = encoder.sample({ ...second, at: second.at + i * 1000 });
    if (trim) line.procs = line.procs.filter((p) => Object.keys(p).length > 1);
    procs += line.procs.length;
    bytes += JSON.stringify(line).length + 1;
  }
  const c = process.cpuUsage(c0);
  return {
    cpuUsPerSample: (c.user + c.system) / samples,
    bytesPerLine: bytes / samples,
    procsPerLine: procs / samples,
  };
}

const full = run(false);
const trimmed = run(true);
console.log(`${second.procs.length} processes; ${samples} samples encoded`);
console.log(
  `trace format as specified (every live process each sample): ${full.cpuUsPerSample.toFixed(0)} µs of CPU per sample, ${(full.bytesPerLine / 1024).toFixed(1)} KiB per line (${full.procsPerLine.toFixed(0)} entries)`,
);
console.log(
  `only the entries that say more than the pid:                 ${trimmed.cpuUsPerSample.toFixed(0)} µs per sample (the encoding still runs), ${(trimmed.bytesPerLine / 1024).toFixed(2)} KiB per line (${trimmed.procsPerLine.toFixed(0)} entries)`,
);
console.log(
  `at one sample a second the listing costs about ${(((full.cpuUsPerSample - trimmed.cpuUsPerSample) / 1e6) * 100).toFixed(3)}% of one core for JSON, plus writing ${((full.bytesPerLine - trimmed.bytesPerLine) / 1024).toFixed(1)} KiB more each second`,
);
process.exit(0);
