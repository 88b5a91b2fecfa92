// 24 hours of monitoring replayed through the detector, memory watched (issue 7).
//   node --expose-gc out/bench/replay-24h.js [--hours 24] [--every 600] [--keep] [--json FILE]
// Writes a synthetic day (bench/synthetic-day.ts: 86,400 samples at 1 s, ~300 processes with
// churn, miners at known times while the user is away) to a gzipped trace in a temp dir, then
// replays it the way `idlewatch replay` does (readTrace streaming into one Detector), sampling
// process.memoryUsage() every --every samples. Reports peak heap and RSS, the heap slope over the
// last 20 hours (flat = bounded state), the incidents found against the expected ones, and time.
// With --expose-gc each memory sample follows a full GC, so the slope is live data, not garbage.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Incident } from '../shared/detection.js';
import type { TraceHeader, TraceSample } from '../shared/trace.js';
import { Detector } from '../main/engine/detect/detector.js';
import { readTrace } from '../main/engine/trace/trace-reader.js';
import { type DayCounts, dayPlan24h, synthesizeDay } from './synthetic-day.js';
import { jsonOutArg, numberArg } from './args.js';

const hours = numberArg('hours', 24, 'positive');
const every = numberArg('every', 600, 'positive');
const keep = process.argv.includes('--keep');
const jsonOut = jsonOutArg('replay-24h.json');
const gc = (globalThis as { gc?: () => void }).gc;

const plan = { ...dayPlan24h(), hours };
const dir = mkdtempSync(join(tmpdir(), 'iw-replay-24h-'));
const file = join(dir, `day-${hours}h.jsonl.gz`);

// 1. Write the trace, streaming, with backpressure.
const t0 = performance.now();
const counts: DayCounts = { samples: 0, processesSeen: 0, maxAlive: 0 };
{
  const out = createWriteStream(file);
  const gz = createGzip({ level: 6 });
  gz.pipe(out);
  let buf = '';
  for (const line of synthesizeDay(plan, counts)) {
    buf += `${JSON.stringify(line)}\n`;
    if (buf.length >= 256 * 1024) {
      if (!gz.write(buf)) await once(gz, 'drain');
      buf = '';
    }
  }
  gz.end(buf);
  await once(out, 'close');
}
const writeSec = (performance.now() - t0) / 1000;
const fileMiB = statSync(file).size / 1024 / 1024;

// 2. Replay it, streaming, sampling memory.
interface MemPoint {
  t: number;
  heapUsed: number;
  rss: number;
  tracks: number;
}
const points: MemPoint[] = [];
let detector: Detector | null = null;
let lastT = 0;
const mark = (t: number) => {
  gc?.();
  const m = process.memoryUsage();
  points.push({ t, heapUsed: m.heapUsed, rss: m.rss, tracks: detector?.stats().tracks ?? 0 });
};
gc?.();
const baseline = process.memoryUsage();
const t1 = performance.now();
let n = 0;
await readTrace(file, {
  header: (h: TraceHeader) => {
    detector = new Detector(h);
  },
  sample: (s: TraceSample) => {
    (detector as Detector | null)?.push(s);
    lastT = s.t;
    if (++n % every === 0) mark(s.t);
  },
});
const d = detector as Detector | null;
if (!d) throw new Error('no header');
d.finish();
mark(lastT);
const replaySec = (performance.now() - t1) / 1000;
const incidents: Incident[] = d.incidents();
const stats = d.stats();

// 3. Figures.
const HOUR_MS = 3_600_000;
const tail = points.filter((p) => p.t >= lastT - 20 * HOUR_MS);
/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
const MiB = 1024 * 1024;
const heapSlopeKiBPerHour =
  tail.length >= 2
    ? slope(
        tail.map((p) => p.t / HOUR_MS),
        tail.map((p) => p.heapUsed),
      ) / 1024
    : Number.NaN;
const rssSlopeKiBPerHour =
  tail.length >= 2
    ? slope(
        tail.map((p) => p.t / HOUR_MS),
        tail.map((p) => p.rss),
      ) / 1024
    : Number.NaN;
const peakHeap = Math.max(...points.map((p) => p.heapUsed));
const peakRss = Math.max(...points.map((p) => p.rss));
const expected = plan.miners.filter((m) => m.fromSec < hours * 3600);
const notifying = (i: Incident) => i.severity === 'medium' || i.severity === 'high';
const found = expected.map((m) => {
  const inc = incidents.find((i) => i.pid === m.pid);
  return {
    pid: m.pid,
    name: m.name,
    appearsAtSec: m.fromSec,
    found: Boolean(inc && notifying(inc)),
    severity: inc?.severity ?? null,
    firstAt: inc?.firstAt ?? null,
    rules: inc?.reasons.map((r) => r.rule) ?? [],
  };
});
const expectedPids = new Set(expected.map((m) => m.pid));
const extra = incidents.filter((i) => !expectedPids.has(i.pid));

const result = {
  trace: {
    hours,
    samples: counts.samples,
    processesSeen: counts.processesSeen,
    maxAlive: counts.maxAlive,
    fileMiB: Math.round(fileMiB * 10) / 10,
    writeSec: Math.round(writeSec * 10) / 10,
  },
  replay: {
    sec: Math.round(replaySec * 10) / 10,
    samplesPerSec: Math.round(counts.samples / replaySec),
    gcExposed: Boolean(gc),
    memorySamples: points.length,
    baselineHeapMiB: Math.round((baseline.heapUsed / MiB) * 10) / 10,
    peakHeapMiB: Math.round((peakHeap / MiB) * 10) / 10,
    peakRssMiB: Math.round((peakRss / MiB) * 10) / 10,
    heapSlopeKiBPerHourLast20h: Math.round(heapSlopeKiBPerHour * 10) / 10,
    rssSlopeKiBPerHourLast20h: Math.round(rssSlopeKiBPerHour * 10) / 10,
    maxTracks: Math.max(...points.map((p) => p.tracks)),
    finalStats: stats,
  },
  incidents: {
    expected: expected.length,
    found: found.filter((f) => f.found).length,
    miners: found,
    other: extra.map((i) => ({ pid: i.pid, name: i.name, severity: i.severity, rules: i.reasons.map((r) => r.rule) })),
  },
  memory: points.map((p) => ({
    hour: Math.round((p.t / HOUR_MS) * 100) / 100,
    heapMiB: Math.round((p.heapUsed / MiB) * 100) / 100,
    rssMiB: Math.round((p.rss / MiB) * 10) / 10,
    tracks: p.tracks,
  })),
};

const f1 = (x: number) => x.toFixed(1);
console.log(
  `trace: ${hours} h, ${counts.samples} samples, ${counts.processesSeen} processes over the day (max ${counts.maxAlive} alive), ${f1(fileMiB)} MiB gzipped, written in ${f1(writeSec)} s`,
);
console.log(
  `replay: ${f1(replaySec)} s (${result.replay.samplesPerSec} samples/s)${gc ? '' : '  [run with --expose-gc for exact heap figures]'}`,
);
console.log('');
console.log('hour   heap MiB   rss MiB   tracked processes');
const stride = Math.max(1, Math.floor(points.length / 24));
for (let i = 0; i < points.length; i += stride) {
  const p = points[i]!;
  console.log(
    `${(p.t / HOUR_MS).toFixed(1).padStart(4)}   ${(p.heapUsed / MiB).toFixed(1).padStart(8)}   ${(p.rss / MiB).toFixed(1).padStart(7)}   ${String(p.tracks).padStart(6)}`,
  );
}
console.log('');
console.log(`peak heap ${f1(peakHeap / MiB)} MiB, peak RSS ${f1(peakRss / MiB)} MiB`);
console.log(
  `heap slope over the last 20 h: ${f1(heapSlopeKiBPerHour)} KiB/h (RSS ${f1(rssSlopeKiBPerHour)} KiB/h); detector state at the end: ${JSON.stringify(stats)}`,
);
console.log('');
console.log('expected miner                appears   found   severity   first flagged   rules');
for (const f of found) {
  console.log(
    `${`${f.name} (${f.pid})`.padEnd(28)}  ${(f.appearsAtSec / 3600).toFixed(2).padStart(6)} h  ${(f.found ? 'yes' : 'NO').padEnd(5)}   ${String(f.severity).padEnd(8)}   ${f.firstAt === null ? '-' : `${(f.firstAt / HOUR_MS).toFixed(2)} h`.padStart(12)}   ${f.rules.join(', ')}`,
  );
}
const bySeverity = (sev: string) => extra.filter((i) => i.severity === sev).length;
console.log(
  `other incidents: ${extra.length} (high ${bySeverity('high')}, medium ${bySeverity('medium')}, low ${bySeverity('low')})${
    extra.length
      ? `: ${extra
          .slice(0, 8)
          .map((i) => `${i.name} ${i.severity}`)
          .join(', ')}${extra.length > 8 ? ', …' : ''}`
      : ''
  }`,
);
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${jsonOut}`);
if (!keep) rmSync(dir, { recursive: true, force: true });
else console.log(`trace kept at ${file}`);
